import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  type CryptwebClient,
  createCryptwebClient,
  fileTokenStore,
  type TokenStore,
} from '@cryptweb/client';
import { type Command, Option } from 'commander';
import { WebSocket } from 'ws';
import { createOutput, type Output } from './output.js';

export const DEFAULT_URL = 'http://127.0.0.1:4000';

/** The options every command accepts (declared once on the program). */
export interface GlobalOptions {
  url: string;
  json: boolean;
  configDir: string;
}

/** `$XDG_CONFIG_HOME/cryptweb`, `%APPDATA%\cryptweb` on Windows, else `~/.config/cryptweb`. */
export function defaultConfigDir(): string {
  const env = process.env;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'cryptweb');
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'cryptweb');
  return join(homedir(), '.config', 'cryptweb');
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--url <url>', 'server URL').env('CRYPTWEB_URL').default(DEFAULT_URL))
    .option('--json', 'print one machine-readable JSON document', false)
    .addOption(
      new Option('--config-dir <dir>', 'where tokens are kept (one file per server URL)')
        .env('CRYPTWEB_CONFIG_DIR')
        .default(defaultConfigDir(), '$XDG_CONFIG_HOME/cryptweb or ~/.config/cryptweb'),
    );
}

export function globalOptions(command: Command): GlobalOptions {
  const opts = command.optsWithGlobals<Partial<GlobalOptions>>();
  return {
    url: (opts.url ?? DEFAULT_URL).replace(/\/+$/, ''),
    json: opts.json === true,
    configDir: opts.configDir ?? defaultConfigDir(),
  };
}

/** `<config-dir>/tokens/http_127.0.0.1_4000.json`: each server keeps its own sign-in. */
export function tokenFilePath(options: GlobalOptions): string {
  const parsed = URL.canParse(options.url) ? new URL(options.url) : undefined;
  const key = parsed
    ? `${parsed.protocol.replace(':', '')}_${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`
    : options.url;
  return join(options.configDir, 'tokens', `${key.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`);
}

/** A client for `url` with the given token store (the `ws` WebSocket: Node 20 has no global one). */
export function createClient(url: string, tokenStore: TokenStore): CryptwebClient {
  return createCryptwebClient({
    url,
    tokenStore,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
  });
}

/** What a command's action works with. */
export interface Cli {
  options: GlobalOptions;
  out: Output;
  /** The client signed in through this machine's token file for `--url` (made on first use). */
  client(): CryptwebClient;
}

/**
 * Runs a command's body with the global options, a lazily made client and uniform error output:
 * any failure is printed (with the server's reason) and the exit code set to 1.
 */
export async function runAction(command: Command, body: (cli: Cli) => Promise<void>) {
  const options = globalOptions(command);
  const out = createOutput(options.json);
  let client: CryptwebClient | undefined;
  const cli: Cli = {
    options,
    out,
    client() {
      client ??= createClient(options.url, fileTokenStore(tokenFilePath(options)));
      return client;
    },
  };
  try {
    await body(cli);
  } catch (error) {
    out.fail(error, options.url);
  } finally {
    await client?.close();
  }
}
