#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerBench } from './bench/index.js';
import { e2eCommand } from './commands/e2e.js';
import { healthCommand } from './commands/health.js';
import { loginCommand } from './commands/login.js';
import { logoutCommand } from './commands/logout.js';
import { passwordCommand } from './commands/password.js';
import { receiveCommand } from './commands/receive.js';
import { resendCommand } from './commands/resend.js';
import { sendCommand } from './commands/send.js';
import { sessionsCommand } from './commands/sessions.js';
import { signupCommand } from './commands/signup.js';
import { transfersCommand } from './commands/transfers.js';
import { verifyCommand } from './commands/verify.js';
import { whoamiCommand } from './commands/whoami.js';
import { addGlobalOptions } from './lib/context.js';

// Same depth from src/ and dist/.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

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
e2eCommand(program);

sendCommand(program);
receiveCommand(program);
registerBench(program);

await program.parseAsync();
