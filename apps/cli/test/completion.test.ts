import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

const run = promisify(execFile);
const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cryptweb-completion-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('cryptweb --version and help', () => {
  it('--version and -V print the package version', async () => {
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(version);
    }
  });

  it('help <command> prints the command help, as <command> --help does', async () => {
    const help = await runCli(['help', 'e2e']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cryptweb e2e \[options\]/);
    expect(help.stdout).toContain('--mail-file <path>');
    expect((await runCli(['e2e', '--help'])).stdout).toBe(help.stdout);
    const nested = await runCli(['sessions', 'help', 'revoke']);
    expect(nested.stdout).toMatch(/^Usage: cryptweb sessions revoke \[options\] <id>/);
    const unknown = await runCli(['help', 'no-such-command']);
    expect(unknown.code).toBe(1);
  });
});

/**
 * Completes `line` (the cursor at its end) with the generated bash script, splitting the words as
 * bash does (":" and "=" break words, COMP_LINE keeps the line). compopt is shimmed to print what
 * the script asks readline for: `dirnames` (directories), `+default` (nothing), neither (files).
 */
async function bashComplete(line: string): Promise<{ words: string[]; fallback: string }> {
  const words: string[] = [...(line.match(/[^\s:=]+|[:=]+/g) ?? [])];
  if (/[\s:=]$/.test(line)) words.push('');
  const harness = `
source ${JSON.stringify(join(dir, 'cryptweb.bash'))}
compopt() { asked+="compopt $* "; }
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})
COMP_CWORD=${words.length - 1}
COMP_LINE=${JSON.stringify(line)}
COMP_POINT=${line.length}
_cryptweb
printf '%s\\n' "$asked" "\${COMPREPLY[@]}"`;
  const { stdout } = await run('bash', ['-c', harness]);
  const [asked = '', ...offered] = stdout.split('\n');
  const fallback = asked.includes('compopt -o dirnames')
    ? 'dirs'
    : asked.includes('compopt +o default')
      ? 'none'
      : 'files';
  return { words: offered.filter(Boolean), fallback };
}

describe('cryptweb completion bash', () => {
  beforeAll(async () => {
    const script = await runCli(['completion', 'bash']);
    expect(script.code).toBe(0);
    await writeFile(join(dir, 'cryptweb.bash'), script.stdout);
  });

  it('is valid bash that registers the completion function', async () => {
    await run('bash', ['-n', join(dir, 'cryptweb.bash')]);
    const { stdout } = await run('bash', [
      '-c',
      `source ${JSON.stringify(join(dir, 'cryptweb.bash'))}; complete -p cryptweb`,
    ]);
    expect(stdout.trim()).toBe('complete -o default -F _cryptweb cryptweb');
  });

  it('completes commands, subcommands, options and their values', async () => {
    const top = await bashComplete('cryptweb ');
    expect(top.words).toEqual(expect.arrayContaining(['e2e', 'send', 'receive', 'bench', 'help']));
    expect((await bashComplete('cryptweb se')).words).toEqual(['sessions', 'security-log', 'send']);
    expect((await bashComplete('cryptweb sessions ')).words).toEqual([
      'list',
      'revoke',
      'revoke-all',
      'help',
    ]);
    expect((await bashComplete('cryptweb e2e --m')).words).toEqual(['--mail-file']);
    // Program options after a command, and a URL (split by bash at ":") before one.
    expect((await bashComplete('cryptweb whoami --j')).words).toEqual(['--json']);
    expect((await bashComplete('cryptweb --url http://127.0.0.1:4000 tra')).words).toEqual([
      'transfers',
    ]);
    expect((await bashComplete('cryptweb transfers list --direction ')).words).toEqual([
      'sent',
      'received',
      'all',
    ]);
    expect((await bashComplete('cryptweb completion ')).words).toEqual(['bash', 'zsh']);
    expect((await bashComplete('cryptweb help tra')).words).toEqual(['transfers']);
    expect((await bashComplete('cryptweb 2fa ')).words).toEqual([
      'status',
      'enable',
      'disable',
      'recovery-codes',
      'help',
    ]);
    expect((await bashComplete('cryptweb 2fa enable --')).words).toEqual(
      expect.arrayContaining(['--password', '--code']),
    );
    expect((await bashComplete('cryptweb account ')).words).toEqual([
      'profile',
      'email',
      'export',
      'delete',
      'help',
    ]);
    expect((await bashComplete('cryptweb admin r')).words).toEqual(['role', 'revoke-session']);
    expect((await bashComplete('cryptweb security-log --type sign-')).words).toEqual([
      'sign-in',
      'sign-in-failed',
    ]);
    expect((await bashComplete('cryptweb login --b')).words).toEqual(['--browser']);
  });

  it('leaves paths to readline, and offers nothing for free text', async () => {
    expect(await bashComplete('cryptweb send ')).toEqual({ words: [], fallback: 'files' });
    expect(await bashComplete('cryptweb receive --out ')).toEqual({ words: [], fallback: 'dirs' });
    expect(await bashComplete('cryptweb send --to ')).toEqual({ words: [], fallback: 'none' });
  });
});

const hasZsh = await run('zsh', ['--version']).then(
  () => true,
  () => false,
);

/**
 * Types `line` and TAB into an interactive zsh (zsh/zpty) with compinit and the generated script
 * on $fpath, and returns what the completion system offered (compadd is wrapped to print it).
 */
async function zshComplete(line: string): Promise<string[]> {
  const harness = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1=''; fpath=(${dir} \\$fpath); autoload -U compinit && compinit -u -D"
zpty -w z 'compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd "$@"; return; fi; local -a hits; builtin compadd -A hits "$@"; (( $#hits )) && print -rl -- "<<\${^hits[@]}>>"; builtin compadd "$@"; }'
zpty -w z "zstyle ':completion:*' list-grouped false; bindkey '^I' complete-word"
zpty -w z 'print -r -- __READY__'
zpty -r z out '*__READY__*'
zpty -r z out '*__READY__*'
zpty -w -n z ${JSON.stringify(line)}$'\\t'
zpty -w z $'\\C-u'
zpty -w z 'print -r -- __DONE__'
all=''
while zpty -r z chunk; do all+=$chunk; [[ $all == *__DONE__*__DONE__* ]] && break; done
zpty -d z
print -r -- $all`;
  const { stdout } = await run('zsh', ['-f', '-c', harness], { timeout: 30_000 });
  return [...new Set([...stdout.matchAll(/<<([^>\n]*)>>/g)].map((match) => match[1] ?? ''))];
}

describe.runIf(hasZsh)('cryptweb completion zsh', () => {
  beforeAll(async () => {
    const script = await runCli(['completion', 'zsh']);
    expect(script.code).toBe(0);
    expect(script.stdout).toMatch(/^#compdef cryptweb\n/);
    // Autoloaded from $fpath, as the help text says to install it.
    await writeFile(join(dir, '_cryptweb'), script.stdout);
  });

  it('completes commands, subcommands, options and their values', async () => {
    expect(await zshComplete('cryptweb sess')).toEqual(['sessions']);
    expect(await zshComplete('cryptweb sessions ')).toEqual([
      'list',
      'revoke',
      'revoke-all',
      'help',
    ]);
    expect(await zshComplete('cryptweb e2e --m')).toEqual(['--mail-file']);
    expect(await zshComplete('cryptweb --url http://127.0.0.1:4000 tra')).toEqual(['transfers']);
    expect(await zshComplete('cryptweb transfers list --direction ')).toEqual([
      'sent',
      'received',
      'all',
    ]);
    expect(await zshComplete('cryptweb completion ')).toEqual(['bash', 'zsh']);
    expect(await zshComplete('cryptweb 2fa r')).toEqual(['recovery-codes']);
  });
});
