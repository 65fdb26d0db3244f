import { execFile } from 'node:child_process';
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 5: a consumer outside the workspace compiles against the built package, and a wrong
// input is a type error there — the SDK's types are real, not `any`, and need no server sources.

const run = promisify(execFile);
const packageDir = path.resolve(import.meta.dirname, '..');
const bin = (name: string) => path.join(packageDir, 'node_modules/.bin', name);

interface PackageJson {
  name: string;
  dependencies?: Record<string, string>;
}

async function newestMtime(entry: string): Promise<number> {
  const info = await stat(entry);
  if (!info.isDirectory()) return info.mtimeMs;
  const children = await readdir(entry);
  const times = await Promise.all(children.map((child) => newestMtime(path.join(entry, child))));
  return Math.max(info.mtimeMs, ...times);
}

async function mtimeOrZero(file: string): Promise<number> {
  return stat(file).then(
    (info) => info.mtimeMs,
    () => 0,
  );
}

/**
 * Puts the built package at `target`: packages/client/dist when it is newer than everything it
 * is built from, else a fresh build of the same two steps as `pnpm build`, written straight into
 * `target` so that the shared dist/ never disappears under other test files reading it.
 */
async function placeBuiltPackage(target: string): Promise<void> {
  const serverSrc = path.join(
    await realpath(path.join(packageDir, 'node_modules/@cryptweb/server')),
    'src',
  );
  const inputs = [
    'src',
    'dts',
    'rollup.config.mjs',
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
  ];
  const newestInput = Math.max(
    ...(await Promise.all(inputs.map((entry) => newestMtime(path.join(packageDir, entry))))),
    await newestMtime(serverSrc),
  );
  const dist = path.join(packageDir, 'dist');
  const built = Math.min(
    await mtimeOrZero(path.join(dist, 'index.js')),
    await mtimeOrZero(path.join(dist, 'index.d.ts')),
  );
  const targetDist = path.join(target, 'dist');
  if (built > newestInput) {
    await cp(dist, targetDist, { recursive: true });
  } else {
    await run(bin('tsc'), ['-p', 'tsconfig.build.json', '--outDir', targetDist], {
      cwd: packageDir,
    });
    await run(
      bin('rollup'),
      ['-c', 'rollup.config.mjs', '--silent', '--file', path.join(targetDist, 'index.d.ts')],
      { cwd: packageDir },
    );
  }
  await cp(path.join(packageDir, 'package.json'), path.join(target, 'package.json'));
}

/** Runs the consumer's TypeScript; never throws, so failures can be asserted on. */
async function typecheck(cwd: string, project: string) {
  return run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], {
    cwd,
  }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }),
  );
}

const GOOD_CONSUMER = `import {
  type AppRouter,
  createCryptwebClient,
  isMfaRequired,
  memoryTokenStore,
  type RouterInputs,
  type RouterOutputs,
  type SignalingEvent,
  TRPCClientError,
} from '@cryptweb/client';

const client = createCryptwebClient({ url: 'http://127.0.0.1:4000', tokenStore: memoryTokenStore() });

export async function flow(): Promise<string> {
  await client.auth.signUp.mutate({ name: 'Ada', email: 'ada@example.test', password: 'long enough password' });
  await client.auth.verifyEmail.mutate({ email: 'ada@example.test', code: '123456' });
  const signIn = await client.auth.signIn.mutate({
    email: 'ada@example.test',
    password: 'long enough password',
    device: { name: 'consumer' },
  });
  const signedIn = isMfaRequired(signIn)
    ? await client.auth.verifyMfa.mutate({ challengeToken: signIn.challengeToken, totp: '123456' })
    : signIn;
  const expires: Date = signedIn.accessTokenExpiresAt;
  const mfa: RouterOutputs['mfa']['status'] = await client.mfa.status.query();
  const totpOn: boolean = mfa.totp;
  const me: RouterOutputs['auth']['me'] = await client.auth.me.query();
  // @ts-expect-error emailVerified is a boolean, so the output types are not \`any\`
  const notAString: string = me.user.emailVerified;
  const sessions = await client.sessions.list.query();
  const current: boolean | undefined = sessions[0]?.current;
  const page = await client.transfers.list.query({ direction: 'sent', limit: 10 });
  const cursor: string | null = page.nextCursor;
  const input: RouterInputs['transfers']['complete'] = {
    receiverEmail: 'bob@example.test',
    fileName: 'a.txt',
    fileSize: 1,
    fileType: 'text/plain',
    timeElapsed: 5,
    transferType: 'WebRTC',
  };
  const transfer = await client.transfers.complete.mutate(input);
  const signaling = await client.signaling.connect();
  signaling.on('offer', (event) => {
    const sdp: string = event.offer.sdp;
    void signaling.answer({ peerId: event.from.peerId }, sdp);
  });
  const ready: Extract<SignalingEvent, { type: 'ready' }> = await signaling.next('ready');
  try {
    await client.sessions.revoke.mutate({ sessionId: sessions[0]?.id ?? '' });
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = (error as TRPCClientError<AppRouter>).data;
      const reason: string | undefined = data?.reason;
      // @ts-expect-error reasons are a closed union
      const unknownReason: NonNullable<typeof data>['reason'] = 'NOT_A_REASON';
      return \`\${reason} \${unknownReason}\`;
    }
  }
  await client.auth.signOut.mutate();
  await client.close();
  return [expires, totpOn, notAString, current, cursor, transfer.transferType, ready.peerId].join(' ');
}

// A browser app on the HttpOnly cookies: no token store to reach for.
const browser = createCryptwebClient({ url: 'http://127.0.0.1:4000', auth: 'cookie' });

export async function browserFlow(): Promise<string> {
  const mode: 'cookie' = browser.authMode;
  const store: null = browser.tokenStore;
  const me = await browser.auth.me.query();
  const deviceId: string | null = (await client.tokenStore.getDeviceId?.()) ?? null;
  return [mode, store, me.user.email, deviceId].join(' ');
}
`;

const BAD_LINES = {
  wrongType: "await client.auth.signIn.mutate({ email: 1, password: 'long enough password' });",
  missingField:
    "await client.auth.signUp.mutate({ email: 'ada@example.test', password: 'long enough password' });",
  cookieStore:
    "createCryptwebClient({ url: 'http://x', auth: 'cookie', tokenStore: memoryTokenStore() });",
};

const BAD_CONSUMER = `import { createCryptwebClient, memoryTokenStore } from '@cryptweb/client';

const client = createCryptwebClient({ url: 'http://127.0.0.1:4000' });

export async function wrong(): Promise<void> {
  ${BAD_LINES.wrongType}
  ${BAD_LINES.missingField}
  ${BAD_LINES.cookieStore}
}
`;

function lineOf(source: string, text: string): number {
  return source.split('\n').findIndex((line) => line.includes(text)) + 1;
}

describe('a consumer outside the workspace', () => {
  let root: string;
  let packageJson: PackageJson;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'cryptweb-consumer-'));
    packageJson = JSON.parse(
      await readFile(path.join(packageDir, 'package.json'), 'utf8'),
    ) as PackageJson;
    const installed = path.join(root, 'node_modules', '@cryptweb', 'client');
    await mkdir(installed, { recursive: true });
    await placeBuiltPackage(installed);
    // What an install would bring: the package's dependencies, and the consumer's TypeScript.
    for (const name of [...Object.keys(packageJson.dependencies ?? {}), 'typescript']) {
      const link = path.join(root, 'node_modules', name);
      await mkdir(path.dirname(link), { recursive: true });
      await symlink(await realpath(path.join(packageDir, 'node_modules', name)), link, 'dir');
    }
    await writeFile(
      path.join(root, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const compilerOptions = {
      strict: true,
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      target: 'ES2022',
      // @trpc/server's declarations use Disposable (TypeScript's esnext.disposable lib).
      lib: ['ES2022', 'DOM', 'ESNext.Disposable'],
      noEmit: true,
      // Checks the package's own declarations too: they must stand alone.
      skipLibCheck: false,
    };
    await writeFile(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['good.ts'] }),
    );
    await writeFile(
      path.join(root, 'tsconfig.bad.json'),
      JSON.stringify({ compilerOptions, files: ['bad.ts'] }),
    );
    await writeFile(path.join(root, 'good.ts'), GOOD_CONSUMER);
    await writeFile(path.join(root, 'bad.ts'), BAD_CONSUMER);
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('gets declarations that import only the package dependencies', async () => {
    const declarations = await readFile(
      path.join(root, 'node_modules/@cryptweb/client/dist/index.d.ts'),
      'utf8',
    );
    expect(declarations).not.toContain('@cryptweb/server');
    const specifiers = [...declarations.matchAll(/\bfrom '([^']+)'|\bimport\('([^']+)'\)/g)].map(
      (match) => match[1] ?? match[2] ?? '',
    );
    const allowed = Object.keys(packageJson.dependencies ?? {});
    for (const specifier of specifiers) {
      expect(allowed.some((name) => specifier === name || specifier.startsWith(`${name}/`))).toBe(
        true,
      );
    }
    expect(specifiers).toContain('@trpc/client');
  });

  it('type-checks a correct consumer (strict, NodeNext)', async () => {
    const result = await typecheck(root, 'tsconfig.json');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('refuses a wrong input at the call that passes it', async () => {
    const result = await typecheck(root, 'tsconfig.bad.json');
    expect(result.code).not.toBe(0);
    const errorLines = [...result.output.matchAll(/^bad\.ts\((\d+),\d+\): error TS\d+/gm)].map(
      (match) => Number(match[1]),
    );
    expect(new Set(errorLines)).toEqual(
      new Set([
        lineOf(BAD_CONSUMER, BAD_LINES.wrongType),
        lineOf(BAD_CONSUMER, BAD_LINES.missingField),
        lineOf(BAD_CONSUMER, BAD_LINES.cookieStore),
      ]),
    );
    expect(result.output).toMatch(/Type 'number' is not assignable to type 'string'/);
    expect(result.output).toMatch(/Property 'name' is missing/);
  });

  it('loads the built ESM at run time', async () => {
    const script = `import { createCryptwebClient, reconnectDelay, memoryTokenStore } from '@cryptweb/client';
const client = createCryptwebClient({ url: 'http://127.0.0.1:1', tokenStore: memoryTokenStore() });
console.log(typeof client.auth.me.query, typeof reconnectDelay(3));`;
    await writeFile(path.join(root, 'load.mjs'), script);
    const { stdout } = await run(process.execPath, ['load.mjs'], { cwd: root });
    expect(stdout.trim()).toBe('function number');
  });
});
