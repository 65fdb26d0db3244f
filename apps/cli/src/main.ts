#!/usr/bin/env node
import { Command } from 'commander';
import { healthCommand } from './commands/health.js';

const program = new Command('cryptweb')
  .description(
    'CryptWeb command line: accounts, sessions, peer-to-peer transfer, end-to-end checks',
  )
  .option('--url <url>', 'server URL', process.env.CRYPTWEB_URL ?? 'http://127.0.0.1:4000')
  .option('--json', 'print machine-readable JSON');

healthCommand(program);

await program.parseAsync();
