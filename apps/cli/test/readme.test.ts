import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileTokenStore } from '@cryptweb/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMailbox } from '../src/flows/mailbox.js';
import { totpCode } from '../src/flows/two-factor.js';
import { createClient, tokenFilePath } from '../src/lib/context.js';
import { type ReadmeCommand, readmeCommands, readmeUrls } from './support/readme.js';
import { type Background, background, type Finished, freePort, sh, tail } from './support/shell.js';

/**
 * Every command README.md shows, run as a reader would run it on a fresh clone (after
 * `pnpm install` and `pnpm build`, which it runs too): a README line that stops working fails this
 * test. Each command is matched to a handler below that runs it and checks what the README says it
 * does; a command no handler knows fails the first test, so a new README line needs a check here
 * (or a stated reason not to run it). Servers it starts (`pnpm start`, `pnpm dev`, the Vite dev
 * server) are checked, then stopped with their whole process group.
 *
 * Only what a shared machine forces is changed, through the variables the README documents:
 * servers listen on a free port (PORT) with a temporary DATA_DIR, and the CLI is pointed at them
 * (CRYPTWEB_URL, the port in --url); the installed tarball goes to a temporary npm prefix; each
 * "machine" of the CLI section is a temporary HOME outside the repository.
 */

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const commands = readmeCommands(readme);
const README_ORIGIN = 'http://127.0.0.1:4000';
const PASSWORD = 'readme-Horse-battery-7';
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

/** The environment of a user's shell: none of the test runner's, pnpm's or the caller's config. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const runner =
    /^(npm_(lifecycle|package|command|execpath|node_execpath)|npm_config_user_agent$|VITEST|NODE_ENV$|NODE_OPTIONS$|TEST_|CRYPTWEB_|DATABASE_URL$|PORT$|HOST$|DATA_DIR$|MAIL_|RATE_LIMITS$|INIT_CWD$|PNPM_SCRIPT_SRC_DIR$|TURBO_)/;
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !runner.test(key)) env[key] = value;
  }
  // No node_modules/.bin of this repository: `cryptweb` must come from where the README puts it.
  env.PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => !dir.includes('node_modules'))
    .join(':');
  env.NO_COLOR = '1';
  return { ...env, ...extra };
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

function expectOk(run: Finished, command: string) {
  const report = `\`${command}\` exited ${run.code}${run.timedOut ? ' (timed out)' : ''}\n${tail(run.stdout, 3000)}\n${tail(run.stderr, 3000)}`;
  expect(run.timedOut, report).toBe(false);
  expect(run.code, report).toBe(0);
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  expect(response.status, `GET ${url}`).toBe(200);
  return response;
}

function postgresReachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port, timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolvePromise(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

interface Server {
  url: string;
  dataDir: string;
  process: Background;
}

let tmp: string;
/** `npm install -g` goes here instead of the machine's global prefix. */
let prefix: string;
let start: Server | undefined;
let dev: Server | undefined;
let vite: Background | undefined;
let receiver: Background | undefined;
let postgresDatabase: string | undefined;
let tarball: string | undefined;
let receiveDir = '';
const cleanups: (() => Promise<void>)[] = [];
const measures: string[] = [];
const ran: string[] = [];
const skipped: string[] = [];
/** What `cryptweb 2fa enable` showed and printed, for the 2fa lines after it. */
const twoFactor = { secret: '', recoveryCodes: [] as string[] };
const recoveryCodesIn = (text: string) =>
  [...text.matchAll(/^\s+(\w{4}-\w{4}-\w{4})$/gm)].map((m) => m[1] ?? '');

/** The account lines, replayed on other machines (a second device, the receiver). */
const accountLines: Record<'signup' | 'verify' | 'login', string | undefined> = {
  signup: undefined,
  verify: undefined,
  login: undefined,
};

/** A user's computer: its own HOME (so `~` and ~/.config/cryptweb are its own), cwd there. */
async function machine(name: string) {
  const home = join(tmp, 'machines', name);
  await mkdir(home, { recursive: true });
  return {
    home,
    options: {
      cwd: home,
      env: userEnv({
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        PATH: `${join(prefix, 'bin')}:${userEnv().PATH}`,
        CRYPTWEB_URL: start?.url ?? README_ORIGIN,
        CRYPTWEB_PASSWORD: PASSWORD,
      }),
    },
  };
}

/** In the clone, as its owner: the real HOME (pnpm's store), no CLI tokens of theirs touched. */
function inClone(extra: Record<string, string> = {}) {
  return {
    cwd: repo,
    env: userEnv({
      CRYPTWEB_URL: start?.url ?? README_ORIGIN,
      CRYPTWEB_CONFIG_DIR: join(tmp, 'clone-config'),
      ...extra,
    }),
  };
}

/** `README_ORIGIN` → the server the test started (same for `.data/`, its data directory). */
function onStartServer(text: string): string {
  if (!start) throw new Error('`pnpm start` is not running');
  return text
    .replaceAll(README_ORIGIN, start.url)
    .replaceAll(/(^|\s)\.data\//g, `$1${start.dataDir}/`);
}

async function startServer(command: string, env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const dataDir = join(tmp, `data-${port}`);
  const server = background(command, inClone({ PORT: String(port), DATA_DIR: dataDir, ...env }));
  cleanups.push(() => server.stop());
  // pnpm start builds first (turbo: a cache hit after pnpm build).
  const [line = '{}'] = await server.waitFor(/^\{.*"msg":"listening".*\}$/m, 240_000);
  const { url } = JSON.parse(line) as { url: string };
  return { url, dataDir, process: server };
}

async function runAs(
  options: { cwd: string; env: NodeJS.ProcessEnv },
  command: string,
  ms = 60_000,
) {
  const run = await sh(command, options, ms);
  expectOk(run, command);
  return run;
}

/** Runs the README's signup, verify and login lines for `email` on `home` (another machine). */
async function createAccount(
  name: string,
  email: string,
  options: { cwd: string; env: NodeJS.ProcessEnv },
) {
  const { signup, verify, login } = accountLines;
  if (!signup || !verify || !login) throw new Error('the README shows no signup/verify/login');
  const swap = (line: string) =>
    line.replace(/--email \S+/, `--email ${email}`).replace(/--name \S+/, `--name ${name}`);
  await runAs(options, swap(signup));
  await runAs(options, await withMailedCode(swap(verify)));
  await runAs(options, swap(login));
}

/** `--code 123456` → the code the server mailed to `--email`. */
async function withMailedCode(line: string): Promise<string> {
  const email = /--email (\S+)/.exec(line)?.[1] ?? '';
  const mailFile = join(start?.dataDir ?? '', 'mail.jsonl');
  const mail = await createMailbox(mailFile).next(email, 'verify-email', 20_000);
  return line.replace(/--code \S+/, `--code ${mail.code ?? ''}`);
}

type Handler = { match: RegExp } & ({ skip: string } | { run: (command: string) => Promise<void> });

const handlers: Handler[] = [
  // Start
  {
    match: /^npm install -g pnpm@(\S+)$/,
    // The machine's pnpm is what CI installed with this very line; installing it again here
    // would change the machine for everyone else.
    run: async (command) => {
      const wanted = /pnpm@(\S+)/.exec(command)?.[1];
      const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
        packageManager: string;
      };
      expect(pkg.packageManager).toBe(`pnpm@${wanted}`);
      const installed = await sh('pnpm --version', inClone(), 30_000);
      expect(installed.stdout.trim()).toBe(wanted);
    },
  },
  { match: /^pnpm install$/, run: (command) => runAs(inClone(), command, 300_000).then(() => {}) },
  {
    match: /^pnpm start$/,
    run: async (command) => {
      start = await startServer(command, {});
      // The addresses the Start section says are served.
      for (const url of readmeUrls(readme, 'Start').filter((u) => u.startsWith(README_ORIGIN))) {
        await fetchOk(onStartServer(url));
      }
      expect(await (await fetchOk(`${start.url}/app/`)).text()).toMatch(/^<!doctype html>/i);
    },
  },
  {
    match: /^curl http:\/\/127\.0\.0\.1:4000\/\S+$/,
    run: async (command) => {
      const run = await runAs(inClone(), onStartServer(command), 30_000);
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    },
  },
  {
    match: /^(TEST_DATABASE_URL=\S+ )?pnpm test$/,
    skip: 'the whole suite, this test included: CI runs it (.ci/run)',
  },
  { match: /^bash \.ci\/run$/, skip: 'CI itself, which runs this test' },

  // PostgreSQL: on a database of its own, created and dropped here, when the README's server answers.
  {
    match: /^createdb -h (\S+) -U (\S+) cryptweb$/,
    run: async (command) => {
      const [, host = '', user = ''] = /-h (\S+) -U (\S+)/.exec(command) ?? [];
      if (!(await postgresReachable(host, 5432))) {
        skipped.push(`${command}: no PostgreSQL on ${host}:5432 here`);
        return;
      }
      const database = `cryptweb_readme_${process.pid}_${Date.now()}`;
      await runAs(inClone(), command.replace(/cryptweb$/, database));
      postgresDatabase = database;
      cleanups.push(async () => {
        await sh(`dropdb -h ${host} -U ${user} --if-exists ${database}`, inClone(), 30_000);
      });
    },
  },
  {
    match: /^DATABASE_URL=postgres:\/\/\S+\/cryptweb pnpm start$/,
    run: async (command) => {
      if (!postgresDatabase) return; // no PostgreSQL: reported by createdb
      const line = command.replace(/\/cryptweb /, `/${postgresDatabase} `);
      const [, assignment = '', rest = ''] = /^(DATABASE_URL=\S+) (.*)$/.exec(line) ?? [];
      const server = await startServer(`${assignment} ${rest}`, {});
      const ready = (await (await fetchOk(`${server.url}/readyz`)).json()) as unknown;
      expect(ready).toBeTruthy();
      await server.process.stop();
    },
  },
  {
    match: /^pnpm db:generate$/,
    skip: 'writes a migration after a schema change; a clean checkout has none to write',
  },

  // CLI
  { match: /^pnpm build$/, run: (command) => runAs(inClone(), command, 600_000).then(() => {}) },
  {
    match: /^pnpm cryptweb --help$/,
    run: async (command) => {
      expect((await runAs(inClone(), command)).stdout).toContain('Usage: cryptweb [options]');
    },
  },
  {
    match: /^pnpm cryptweb e2e$/,
    run: async (command) => {
      expect((await runAs(inClone(), command, 180_000)).stdout).toMatch(/(\d+)\/\1 flows passed/);
    },
  },
  {
    match: /^pnpm cryptweb:pack$/,
    run: async (command) => {
      const run = await runAs(inClone(), command, 300_000);
      tarball = /^(\S+\.tgz)$/m.exec(run.stdout)?.[1];
      expect(tarball, run.stdout).toBeDefined();
    },
  },
  {
    match: /^npm install -g \S+\.tgz$/,
    run: async (command) => {
      const file = resolve(repo, /(\S+\.tgz)$/.exec(command)?.[1] ?? '');
      expect(existsSync(file), `${file}: written by the pack line above`).toBe(true);
      const run = await runAs(inClone({ npm_config_prefix: prefix }), command, 300_000);
      measures.push(
        `tarball ${(statSync(file).size / 2 ** 20).toFixed(2)} MiB, npm install -g ${run.ms} ms`,
      );
    },
  },
  {
    match: /^cryptweb --version$/,
    run: async (command) => {
      expect((await runAs((await machine('ada')).options, command)).stdout.trim()).toBe(version);
    },
  },
  {
    match: /^cryptweb e2e$/,
    // From a directory outside the repository: the server it starts is the bundled one.
    run: async (command) => {
      const run = await runAs((await machine('outside')).options, command, 180_000);
      expect(run.stdout).toMatch(/(\d+)\/\1 flows passed/);
      measures.push(`installed cryptweb e2e ${run.ms} ms`);
    },
  },
  {
    match: /^cryptweb e2e --url \S+ --mail-file \S+$/,
    // From the clone, where `pnpm start` keeps .data/.
    run: async (command) => {
      const run = await runAs(
        inClone({ PATH: `${join(prefix, 'bin')}:${userEnv().PATH}` }),
        onStartServer(command),
        180_000,
      );
      expect(run.stdout).toMatch(/(\d+)\/\1 flows passed/);
    },
  },
  {
    match: /^cryptweb signup --name \S+ --email \S+$/,
    run: async (command) => {
      accountLines.signup = command;
      await runAs((await machine('ada')).options, command);
    },
  },
  {
    match: /^cryptweb verify --email \S+ --code \S+$/,
    run: async (command) => {
      accountLines.verify = command;
      await runAs((await machine('ada')).options, await withMailedCode(command));
    },
  },
  {
    match: /^cryptweb login --email \S+$/,
    run: async (command) => {
      accountLines.login = command;
      const run = await runAs((await machine('ada')).options, command);
      expect(run.stdout).toContain('signed in as');
    },
  },
  {
    match: /^cryptweb whoami$/,
    run: async (command) => {
      const email = /--email (\S+)/.exec(accountLines.signup ?? '')?.[1] ?? '';
      expect((await runAs((await machine('ada')).options, command)).stdout).toContain(email);
    },
  },
  {
    match: /^cryptweb sessions$/,
    run: async (command) => {
      expect((await runAs((await machine('ada')).options, command)).stdout).toContain('●');
    },
  },
  {
    match: /^cryptweb sessions revoke <id>$/,
    // <id>: the session of a second device, signed in with the README's login line.
    run: async (command) => {
      const laptop = await machine('ada-laptop');
      await runAs(laptop.options, accountLines.login ?? 'false');
      const me = JSON.parse((await runAs(laptop.options, 'cryptweb --json whoami')).stdout) as {
        session: { id: string };
      };
      await runAs((await machine('ada')).options, command.replace('<id>', me.session.id));
      const after = await sh('cryptweb whoami', laptop.options, 60_000);
      expect(after.code, 'the revoked device is signed out').not.toBe(0);
    },
  },
  {
    match: /^cryptweb transfers( stats)?$/,
    run: async (command) => {
      await runAs((await machine('ada')).options, command);
    },
  },
  {
    match: /^cryptweb receive --out \S+$/,
    // The receiver's machine: the account the send line names, made with the README's lines.
    run: async (command) => {
      const send = commands.find((c) => /^cryptweb send \S+ --to \S+$/.test(c.text));
      const email = /--to (\S+)/.exec(send?.text ?? '')?.[1];
      if (!email) throw new Error('no `cryptweb send … --to EMAIL` line to receive from');
      const bob = await machine('receiver');
      const name = email.split('@')[0] ?? 'bob';
      await createAccount(name[0]?.toUpperCase() + name.slice(1), email, bob.options);
      receiver = background(command, bob.options);
      cleanups.push(() => receiver?.stop() ?? Promise.resolve());
      await receiver.waitFor(/waiting for a file/, 60_000);
      receiveDir = (/--out (\S+)/.exec(command)?.[1] ?? '.').replace(/^~(?=\/|$)/, bob.home);
    },
  },
  {
    match: /^cryptweb send \S+ --to \S+$/,
    run: async (command) => {
      const ada = await machine('ada');
      const name = /^cryptweb send (\S+)/.exec(command)?.[1] ?? '';
      const content = randomBytes(300 * 1024 + 17);
      await writeFile(join(ada.home, name), content);
      if (!receiver) throw new Error('no `cryptweb receive` running');
      const sending = await sh(command, ada.options, 120_000);
      expectOk(sending, `${command}\n(the receiver said: ${tail(receiver.output())})`);
      measures.push(`send ${content.length} bytes ${sending.ms} ms`);
      expect(await Promise.race([receiver.exited, sleep(60_000).then(() => 'timeout')])).toBe(0);
      expect(receiver.output()).toContain('verified');
      const received = await readFile(join(receiveDir, name));
      expect(received.equals(content)).toBe(true);
    },
  },
  // Two-factor on ada's account, off again before logout. No terminal here: the code the README
  // says to type at the prompt is given as --code (a TOTP step later than the one before it).
  {
    match: /^cryptweb 2fa enable$/,
    run: async (command) => {
      const ada = await machine('ada');
      const shown = await runAs(ada.options, command);
      twoFactor.secret = /^secret\s+([A-Z2-7]+)$/m.exec(shown.stdout)?.[1] ?? '';
      expect(twoFactor.secret, shown.stdout).not.toBe('');
      expect(shown.stdout).toContain('otpauth://totp/');
      const on = await runAs(ada.options, `${command} --code ${totpCode(twoFactor.secret, -1)}`);
      expect(on.stdout).toContain('Store these now');
      twoFactor.recoveryCodes = recoveryCodesIn(on.stdout);
      expect(twoFactor.recoveryCodes).toHaveLength(10);
    },
  },
  {
    match: /^cryptweb 2fa enable --code \S+$/,
    skip: 'run by the `cryptweb 2fa enable` line, with the code of the secret it showed',
  },
  {
    match: /^cryptweb 2fa status$/,
    run: async (command) => {
      const run = await runAs((await machine('ada')).options, command);
      expect(run.stdout).toMatch(/two-factor\s+on/);
    },
  },
  {
    match: /^cryptweb 2fa recovery-codes$/,
    run: async (command) => {
      const code = totpCode(twoFactor.secret);
      const run = await runAs((await machine('ada')).options, `${command} --code ${code}`);
      const fresh = recoveryCodesIn(run.stdout);
      expect(fresh).toHaveLength(10);
      expect(fresh.filter((c) => twoFactor.recoveryCodes.includes(c))).toEqual([]);
      twoFactor.recoveryCodes = fresh;
    },
  },
  {
    match: /^cryptweb 2fa disable$/,
    run: async (command) => {
      const ada = await machine('ada');
      const code = twoFactor.recoveryCodes[0] ?? '';
      expect((await runAs(ada.options, `${command} --code ${code}`)).stdout).toContain('is off');
      expect((await runAs(ada.options, 'cryptweb 2fa status')).stdout).toMatch(/two-factor\s+off/);
    },
  },
  // SPEC §11: a machine signs in by a code that ada's signed-in session approves (as the browser
  // app's device page does): no password, and no sign-in counted against `pnpm start`'s limits.
  {
    match: /^cryptweb login --browser$/,
    run: async (command) => {
      const ada = await machine('ada');
      const other = await machine('ada-browser');
      const login = background(command, other.options);
      cleanups.push(() => login.stop());
      const [, userCode = ''] = await login.waitFor(/^code\s+([A-Z]{4}-[A-Z]{4})$/m, 60_000);
      const url = start?.url ?? README_ORIGIN;
      const configDir = join(ada.home, '.config', 'cryptweb');
      const approver = createClient(
        url,
        fileTokenStore(tokenFilePath({ url, json: false, configDir })),
      );
      try {
        await approver.auth.device.approve.mutate({ userCode });
      } finally {
        await approver.close();
      }
      expect(await login.exited, login.output()).toBe(0);
      expect(login.output()).toContain('signed in as');
      const email = /--email (\S+)/.exec(accountLines.signup ?? '')?.[1] ?? '';
      expect((await runAs(other.options, 'cryptweb whoami')).stdout).toContain(email);
    },
  },
  {
    match: /^cryptweb security-log$/,
    run: async (command) => {
      const run = await runAs((await machine('ada')).options, command);
      expect(run.stdout).toMatch(/^when\s+event\s+flags\s+device\s+ip$/m);
      expect(run.stdout).toMatch(/\ssign-in\s/);
    },
  },
  {
    match: /^cryptweb account profile --name "[^"]+"$/,
    run: async (command) => {
      const name = /--name "([^"]+)"/.exec(command)?.[1] ?? '';
      const run = await runAs((await machine('ada')).options, command);
      expect(run.stdout).toContain(`your name is now ${name}`);
    },
  },
  {
    // No terminal here: the first run mails the code, the second (--code) finishes, as the README says.
    match: /^cryptweb account email \S+$/,
    run: async (command) => {
      const ada = await machine('ada');
      const newEmail = command.split(' ')[3] ?? '';
      expect((await runAs(ada.options, command)).stdout).toContain('a code is on its way');
      const mailFile = join(start?.dataDir ?? '', 'mail.jsonl');
      const mail = await createMailbox(mailFile).next(newEmail, 'email-change', 20_000);
      const done = await runAs(ada.options, `${command} --code ${mail.code ?? ''}`);
      expect(done.stdout).toContain(`your email is now ${newEmail}`);
      expect((await runAs(ada.options, 'cryptweb whoami')).stdout).toContain(newEmail);
    },
  },
  {
    match: /^cryptweb account export --out \S+$/,
    run: async (command) => {
      const ada = await machine('ada');
      await runAs(ada.options, command);
      const file = join(ada.home, command.split(' ')[4] ?? '');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const data = JSON.parse(await readFile(file, 'utf8')) as { profile: { email: string } };
      expect(data.profile.email).toContain('@');
    },
  },
  {
    // `pnpm start` as the README runs it names no ADMIN_EMAILS: ada is no admin, as the line says.
    match: /^cryptweb admin stats$/,
    run: async (command) => {
      const run = await sh(command, (await machine('ada')).options, 60_000);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('ADMIN_REQUIRED');
    },
  },
  {
    // Bob's machine (the receiver), whose account nothing later needs. No terminal to type DELETE
    // on here: --yes-delete, and the password from CRYPTWEB_PASSWORD, as the README says.
    match: /^cryptweb account delete$/,
    run: async (command) => {
      const bob = await machine('receiver');
      const run = await runAs(bob.options, `${command} --yes-delete`);
      expect(run.stdout).toContain('you are signed out');
      expect((await sh('cryptweb whoami', bob.options, 60_000)).code).not.toBe(0);
    },
  },
  {
    match: /^cryptweb logout$/,
    run: async (command) => {
      const ada = await machine('ada');
      await runAs(ada.options, command);
      expect((await sh('cryptweb whoami', ada.options, 60_000)).code).not.toBe(0);
    },
  },
  {
    match: /^cryptweb help \S+$/,
    run: async (command) => {
      const topic = command.split(' ')[2];
      const run = await runAs((await machine('ada')).options, command);
      expect(run.stdout).toMatch(new RegExp(`^Usage: cryptweb ${topic} `));
    },
  },
  {
    match: /^pnpm -s cryptweb --json \S+$/,
    run: async (command) => {
      const run = await runAs(inClone(), command);
      expect(() => JSON.parse(run.stdout), run.stdout).not.toThrow();
    },
  },
  {
    match: /^source <\(cryptweb completion bash\)$/,
    run: async (command) => {
      const run = await runAs((await machine('ada')).options, `${command} && complete -p cryptweb`);
      expect(run.stdout).toContain('-F _cryptweb cryptweb');
    },
  },
  {
    match: /^cryptweb bench$/,
    // The installed CLI carries no benchmarks; it says where they run.
    run: async (command) => {
      const run = await sh(command, (await machine('ada')).options, 60_000);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('pnpm bench');
    },
  },

  // Browser app
  {
    match: /^pnpm dev$/,
    run: async (command) => {
      dev = await startServer(command, {});
    },
  },
  {
    match: /^pnpm --filter @cryptweb\/web dev$/,
    run: async (command) => {
      if (!dev) throw new Error('`pnpm dev` is not running');
      vite = background(command, inClone({ CRYPTWEB_API_URL: dev.url }));
      cleanups.push(() => vite?.stop() ?? Promise.resolve());
      // Vite takes the next port when 5173 is taken, and prints the one it took.
      const origin = (await vite.waitFor(/Local:\s+(http:\/\/[\d.:]+)/, 120_000))[1] ?? '';
      const page = readmeUrls(readme, 'Browser app').find((url) => url.includes(':5173'));
      expect(page, 'the Browser app section names the dev server address').toBeDefined();
      const app = await fetchOk(`${origin}${new URL(page ?? '/').pathname}`);
      expect(await app.text()).toMatch(/^<!doctype html>/i);
      // The proxy: /trpc (HTTP and WebSocket) and /api reach the `pnpm dev` server.
      await fetchOk(`${origin}/trpc/health.check`);
      await fetchOk(`${origin}/api/openapi.json`);
      await new Promise<void>((resolveOpen, reject) => {
        const socket = new WebSocket(`${origin.replace('http', 'ws')}/trpc`);
        socket.once('open', () => {
          socket.close();
          resolveOpen();
        });
        socket.once('error', reject);
      });
      await vite.stop();
      await dev.process.stop();
    },
  },
  {
    match: /^apt-get install -y chromium$/,
    skip: "the browser test's Chromium: .ci/run installs it",
  },

  // Performance
  {
    match: /^pnpm (cryptweb )?bench$/,
    skip: 'the full benchmark (about 7 minutes); `pnpm bench --quick` runs the same command',
  },
  {
    match: /^pnpm bench --(scenarios|profile) /,
    skip: 'a measuring run of its own (minutes); `pnpm bench --quick` runs the same command',
  },
  {
    match: /^pnpm bench --quick$/,
    run: async (command) => {
      const results = join(repo, 'bench', 'results');
      const before = new Set(readdirSync(results));
      try {
        const run = await runAs(inClone(), command, 420_000);
        expect(run.stdout).toContain('| relay |');
        measures.push(`pnpm bench --quick ${run.ms} ms`);
      } finally {
        // The report it writes is this run's, not a result to keep in the repository.
        for (const file of readdirSync(results)) {
          if (!before.has(file)) await rm(join(results, file), { force: true });
        }
      }
    },
  },
];

function handlerFor(command: ReadmeCommand): Handler[] {
  return handlers.filter((handler) => handler.match.test(command.text));
}

const blockTexts = new Set(commands.filter((c) => c.from === 'block').map((c) => c.text));
const done = new Set<string>();

async function runSection(section: string) {
  for (const command of commands.filter((c) => c.section === section)) {
    const where = `README.md:${command.line} ${command.text}`;
    // Prose that names a command of a block: the block line runs it.
    if (command.from === 'inline' && blockTexts.has(command.text)) continue;
    if (done.has(command.text)) continue;
    const [handler] = handlerFor(command);
    if (!handler) throw new Error(`no handler for ${where}`);
    if ('skip' in handler) {
      skipped.push(`${command.text}: ${handler.skip}`);
      done.add(command.text);
      continue;
    }
    const started = performance.now();
    try {
      await handler.run(command.text);
    } catch (error) {
      if (error instanceof Error) error.message = `${where}\n${error.message}`;
      throw error;
    }
    ran.push(`${command.text} (${Math.round(performance.now() - started)} ms)`);
    done.add(command.text);
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'cryptweb-readme-'));
  prefix = join(tmp, 'npm-global');
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await start?.process.stop();
  if (tarball) await rm(join(repo, 'apps', 'cli', tarball), { force: true });
  if (tmp) await rm(tmp, { recursive: true, force: true });
  console.info(
    ['README commands run:', ...ran, '', 'not run:', ...skipped, '', ...measures].join('\n  '),
  );
});

describe('the commands of README.md', () => {
  it('each is run below or has a stated reason not to be', () => {
    const unknown = commands
      .filter((c) => !(c.from === 'inline' && blockTexts.has(c.text)))
      .filter((c) => handlerFor(c).length !== 1)
      .map((c) => `README.md:${c.line} ${c.text} (${handlerFor(c).length} handlers)`);
    expect(unknown).toEqual([]);
    for (const section of ['Start', 'CLI', 'Browser app', 'Performance']) {
      expect(
        commands.some((c) => c.section === section),
        section,
      ).toBe(true);
    }
  });

  // One test per section, in README order: later sections use what earlier ones started.
  it('Start: pnpm start serves the API and the app', { timeout: 600_000 }, () =>
    runSection('Start'),
  );
  it('PostgreSQL: pnpm start on a database of its own', { timeout: 300_000 }, () =>
    runSection('PostgreSQL'),
  );
  it('CLI: in the clone, packed, installed on PATH, and every command shown', {
    timeout: 1_200_000,
  }, async () => {
    await runSection('CLI');
    // The rest needs no `pnpm start` (its PGlite holds hundreds of MiB).
    await start?.process.stop();
  });
  it('Browser app: pnpm dev and the Vite dev server', { timeout: 300_000 }, () =>
    runSection('Browser app'),
  );
  it('Performance: pnpm bench --quick', { timeout: 480_000 }, () => runSection('Performance'));
  it('no other section shows a command', () => {
    const known = new Set(['Start', 'PostgreSQL', 'CLI', 'Browser app', 'Performance']);
    expect(commands.filter((c) => !known.has(c.section)).map((c) => c.text)).toEqual([]);
  });
});
