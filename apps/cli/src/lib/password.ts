import { CliError } from './errors.js';

/** Reads a line from the terminal without echoing it. */
export function promptHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  if (!stdin.isTTY) return Promise.reject(new CliError('no terminal to prompt on'));
  // Raw mode before the prompt shows: whatever is typed (or pasted) once it shows is never echoed.
  stdin.setRawMode(true);
  stderr.write(question);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          process.exitCode = 130;
          reject(new CliError('cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (char >= ' ') value += char;
      }
    };
    stdin.on('data', onData);
  });
}

export interface PasswordSource {
  /** The value of a --password style flag. */
  flag: string | undefined;
  /** The environment variable that may hold it. */
  env: string;
  /** The flag's name, for the error message. */
  flagName: string;
  prompt: string;
  /** Ask twice and compare (for a new password). */
  confirm?: boolean;
}

/**
 * A password from the flag, then the environment, then a hidden prompt on a terminal.
 * Flags show up in `ps` and shell history; the prompt or the environment variable are safer.
 */
export async function readPassword(source: PasswordSource): Promise<string> {
  if (source.flag !== undefined) return source.flag;
  const fromEnv = process.env[source.env];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new CliError(
      'a password is needed',
      `pass ${source.flagName}, set ${source.env}, or run in a terminal to be prompted`,
    );
  }
  const first = await promptHidden(source.prompt);
  if (!source.confirm) return first;
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new CliError('the passwords do not match');
  return first;
}

/**
 * Reads a visible line from the terminal: what a person should see as they type it (a mailed
 * code, the word DELETE). A script has no terminal: `missing` says which flag to pass instead.
 */
export async function promptLine(question: string, missing: CliError): Promise<string> {
  if (!process.stdin.isTTY) throw missing;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** `--password` of the commands that re-check the signed-in account's password. */
export const PASSWORD_OPTION = [
  '--password <password>',
  'your password (else CRYPTWEB_PASSWORD, else prompted)',
] as const;

/** The signed-in account's current password, as the server re-checks it before a change. */
export function readAccountPassword(flag: string | undefined) {
  return readPassword({
    flag,
    env: 'CRYPTWEB_PASSWORD',
    flagName: '--password',
    prompt: 'Password: ',
  });
}
