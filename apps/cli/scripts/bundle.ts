/**
 * The standalone `cryptweb` that `npm install -g` of the packed tarball installs: the CLI, and the
 * server it spawns for `cryptweb e2e`, each bundled with its dependencies by esbuild. Run by
 * `prepack` (`pnpm --filter @cryptweb/cli pack`) after the SDK and the web app are built.
 *
 * apps/cli/bundle/ keeps the repository's layout, so that every path a module finds relative to
 * its own build (the server's ../../../../drizzle, ../../web/dist, ../package.json; the CLI's
 * ../../../server/dist/main.js) means the same file there as in a clone:
 *
 *   apps/cli/dist/main.js      the CLI (src/standalone.ts: every command but `bench`)
 *   apps/server/dist/main.js   the server
 *   apps/web/dist/             the browser app the server serves under /app/
 *   drizzle/                   the migrations
 *
 * What esbuild cannot bundle stays an npm dependency of the tarball, pinned in apps/cli/package.json
 * to the version the server is built against: PGlite (its .wasm and .data files) and @node-rs/bcrypt
 * (a native prebuilt per platform, shipped as npm packages).
 */
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

const cliRoot = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(cliRoot, '..', '..');
const outDir = path.join(cliRoot, 'bundle');

/** Left to npm: packages with files esbuild cannot inline. */
const RUNTIME_DEPENDENCIES = ['@electric-sql/pglite', '@node-rs/bcrypt'];
/** ws's optional native speed-ups: absent, ws uses its JavaScript fallbacks. */
const OPTIONAL = ['bufferutil', 'utf-8-validate'];

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  dependencies?: Record<string, string>;
}

const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T;
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

class BundleError extends Error {}

/**
 * Each workspace module's `import.meta.url` becomes the URL of the file tsc would have built from
 * it (apps/server/src/db/migrate.ts → apps/server/dist/db/migrate.js), relative to the bundle it
 * lands in; both bundles sit where their package's dist/main.js does.
 */
function workspaceImportMetaUrl(): Plugin {
  return {
    name: 'workspace-import-meta-url',
    setup(esbuild) {
      esbuild.onLoad({ filter: /\.ts$/ }, async (args) => {
        const relative = path.relative(repoRoot, args.path).split(path.sep);
        const [group, pkg, src, ...rest] = relative;
        if (!(group === 'apps' || group === 'packages') || !pkg || src !== 'src') return undefined;
        const built = [...rest].join('/').replace(/\.ts$/, '.js');
        const source = await readFile(args.path, 'utf8');
        return {
          contents: source.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(`./${built}`)}, import.meta.url).href`,
          ),
          loader: 'ts',
        };
      });
    },
  };
}

async function checkPrerequisites(cli: PackageJson) {
  const needed = [
    ['packages/client/dist/index.js', '@cryptweb/client'],
    ['apps/web/dist/index.html', '@cryptweb/web'],
  ] as const;
  for (const [file, pkg] of needed) {
    if (!(await exists(path.join(repoRoot, file)))) {
      throw new BundleError(`${file} is missing: build ${pkg} first (pnpm build)`);
    }
  }
  // The tarball must install the very versions the server bundle was built and tested against.
  for (const name of RUNTIME_DEPENDENCIES) {
    const resolved = await readJson<PackageJson>(
      path.join(repoRoot, 'apps/server/node_modules', name, 'package.json'),
    );
    const pinned = cli.dependencies?.[name];
    if (pinned !== resolved.version) {
      throw new BundleError(
        `apps/cli/package.json pins ${name}@${pinned ?? '(missing)'} but the server uses ` +
          `${resolved.version}: pin "${name}": "${resolved.version}" in apps/cli dependencies`,
      );
    }
  }
}

/** The package root of a bundled file under node_modules, else undefined. */
function packageRootOf(file: string): string | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = file.slice(at + marker.length).split(path.sep);
  const depth = parts[0]?.startsWith('@') ? 2 : 1;
  return file.slice(0, at + marker.length) + parts.slice(0, depth).join(path.sep);
}

async function licenseText(root: string): Promise<string | undefined> {
  const names = await readdir(root);
  const file = names.find((name) => /^(licen[cs]e|copying)(\.|-|$)/i.test(name));
  return file ? (await readFile(path.join(root, file), 'utf8')).trim() : undefined;
}

/** THIRD-PARTY-NOTICES: every package inlined into a bundle, with its license text. */
async function writeNotices(metafile: Metafile, webDependencies: string[]) {
  const roots = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const root = packageRootOf(path.resolve(cliRoot, input));
    if (root) roots.add(root);
  }
  for (const name of webDependencies) {
    roots.add(path.join(repoRoot, 'apps/web/node_modules', name));
  }
  const entries = new Map<string, string>();
  for (const root of roots) {
    const pkg = await readJson<PackageJson>(path.join(root, 'package.json'));
    const key = `${pkg.name}@${pkg.version}`;
    if (entries.has(key)) continue;
    const text = (await licenseText(root)) ?? `License: ${pkg.license ?? 'see the package'}`;
    entries.set(key, `## ${key} (${pkg.license ?? 'unknown'})\n\n${text}\n`);
  }
  const sorted = [...entries.keys()].sort().map((key) => entries.get(key));
  await writeFile(
    path.join(outDir, 'THIRD-PARTY-NOTICES.md'),
    `# Third-party software in this bundle\n\nThe cryptweb CLI, server and browser app include ` +
      `the following packages.\n\n${sorted.join('\n')}`,
  );
  return entries.size;
}

/** package.json beside a bundle: `"type": "module"` for its .js, the version it reports. */
async function writeManifest(pkgDir: string) {
  const pkg = await readJson<PackageJson>(path.join(repoRoot, pkgDir, 'package.json'));
  await mkdir(path.join(outDir, pkgDir), { recursive: true });
  await writeFile(
    path.join(outDir, pkgDir, 'package.json'),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module' }, null, 2)}\n`,
  );
}

async function main() {
  const started = performance.now();
  const cli = await readJson<PackageJson>(path.join(cliRoot, 'package.json'));
  await checkPrerequisites(cli);
  await rm(outDir, { recursive: true, force: true });

  const result = await build({
    absWorkingDir: cliRoot,
    entryPoints: [
      { in: path.join(cliRoot, 'src/standalone.ts'), out: 'apps/cli/dist/main' },
      { in: path.join(repoRoot, 'apps/server/src/main.ts'), out: 'apps/server/dist/main' },
    ],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    external: [...RUNTIME_DEPENDENCIES, ...OPTIONAL],
    // CommonJS dependencies (ws, pino, postgres…) call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __cryptwebCreateRequire } from 'node:module';\nconst require = __cryptwebCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    minifySyntax: true,
    minifyWhitespace: true,
    metafile: true,
    logLevel: 'warning',
    plugins: [workspaceImportMetaUrl()],
  });

  await writeManifest('apps/cli');
  await writeManifest('apps/server');
  await cp(path.join(repoRoot, 'drizzle'), path.join(outDir, 'drizzle'), { recursive: true });
  await cp(path.join(repoRoot, 'apps/web/dist'), path.join(outDir, 'apps/web/dist'), {
    recursive: true,
    // Source maps are for developing the app, not for serving it.
    filter: (source) => !source.endsWith('.map'),
  });
  const web = await readJson<PackageJson>(path.join(repoRoot, 'apps/web/package.json'));
  const webDependencies = Object.entries(web.dependencies ?? {})
    .filter(([, range]) => !range.startsWith('workspace:'))
    .map(([name]) => name);
  const notices = await writeNotices(result.metafile, webDependencies);

  const sizes = Object.entries(result.metafile.outputs)
    .map(([file, output]) => `${file} ${(output.bytes / 2 ** 20).toFixed(1)} MiB`)
    .join(', ');
  process.stderr.write(
    `bundled ${sizes}; ${notices} third-party packages in THIRD-PARTY-NOTICES.md ` +
      `(${Math.round(performance.now() - started)} ms)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bundle: ${error instanceof BundleError ? error.message : error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
