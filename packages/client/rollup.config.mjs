// @ts-check
// Bundles the SDK's declarations into one dist/index.d.ts that stands alone: the router and
// signaling types are inlined from @cryptweb/server's sources (a consumer does not have that
// package), and only the package's own dependencies stay imported.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { dts } from 'rollup-plugin-dts';

const here = import.meta.dirname;
const serverSrc = path.join(realpathSync(path.join(here, 'node_modules/@cryptweb/server')), 'src');
/** @param {string} name */
const stub = (name) => path.join(here, 'dts', name);
/** Imports the bundle may keep: the dependencies in package.json. */
const allowedImports = /^(@trpc\/client|@trpc\/server|superjson|@noble\/hashes)($|\/)/;

/** Points the server-only parts of the router type at stand-ins, before rollup-plugin-dts resolves. */
const serverTypes = {
  name: 'cryptweb-server-types',
  /** @param {string} source @param {string | undefined} importer */
  resolveId(source, importer) {
    if (!importer) return null;
    if (source === '@cryptweb/server') return stub('server.d.ts');
    const fromServer = importer.startsWith(serverSrc + path.sep);
    if (!fromServer) return null;
    if (source === 'trpc-to-openapi') return stub('openapi-meta.d.ts');
    if (!source.startsWith('.')) return null;
    const target = path.resolve(path.dirname(importer), source).replace(/\.js$/, '');
    if (target === path.join(serverSrc, 'context')) return stub('server-context.d.ts');
    if (target === path.join(serverSrc, 'index')) return stub('server.d.ts');
    return null;
  },
};

/** Fails the build when the declarations would import a package a consumer may not have. */
const standAlone = {
  name: 'cryptweb-stand-alone',
  /** @param {unknown} _options @param {import('rollup').OutputBundle} bundle */
  generateBundle(_options, bundle) {
    for (const chunk of Object.values(bundle)) {
      if (chunk.type !== 'chunk') continue;
      const stray = chunk.imports.filter((id) => !allowedImports.test(id));
      if (stray.length > 0) this.error(`${chunk.fileName} would import ${stray.join(', ')}`);
    }
  },
};

export default {
  input: 'src/index.ts',
  output: { file: 'dist/index.d.ts', format: 'es' },
  plugins: [serverTypes, dts(), standAlone],
};
