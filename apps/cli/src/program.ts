import { createRequire } from 'node:module';
import { Command } from 'commander';
import { accountCommand } from './commands/account.js';
import { adminCommand } from './commands/admin.js';
import { completionCommand } from './commands/completion.js';
import { e2eCommand } from './commands/e2e.js';
import { healthCommand } from './commands/health.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { passwordCommand } from './commands/password.js';
import { receiveCommand } from './commands/receive.js';
import { resendCommand } from './commands/resend.js';
import { securityLogCommand } from './commands/security-log.js';
import { sendCommand } from './commands/send.js';
import { sessionsCommand } from './commands/sessions.js';
import { signupCommand } from './commands/signup.js';
import { transfersCommand } from './commands/transfers.js';
import { twoFactorCommand } from './commands/two-factor.js';
import { verifyCommand } from './commands/verify.js';
import { whoamiCommand } from './commands/whoami.js';
import { addGlobalOptions } from './lib/context.js';

// Same depth from src/ and dist/ (and in the standalone bundle, which keeps this layout).
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * Every command but `bench`: the workspace build adds the real one (main.ts), the standalone
 * bundle a pointer to it (standalone.ts). `--version` and `help [command]` are commander's own.
 */
export function createProgram(): Command {
  const program = addGlobalOptions(
    new Command('cryptweb')
      .description(
        'CryptWeb command line: accounts, sessions, peer-to-peer transfer, end-to-end checks, benchmarks',
      )
      .version(version),
  );

  healthCommand(program);
  signupCommand(program);
  verifyCommand(program);
  resendCommand(program);
  loginCommand(program);
  logoutCommand(program);
  whoamiCommand(program);
  sessionsCommand(program);
  transfersCommand(program);
  passwordCommand(program);
  twoFactorCommand(program);
  securityLogCommand(program);
  accountCommand(program);
  adminCommand(program);
  e2eCommand(program);

  sendCommand(program);
  receiveCommand(program);
  // Reads the whole tree when it runs, so it also completes commands added after it (bench).
  completionCommand(program);
  return program;
}
