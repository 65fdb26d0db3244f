#!/usr/bin/env node
import { registerBench } from './bench/index.js';
import { createProgram } from './program.js';

// The workspace build (`pnpm cryptweb`, `node apps/cli/dist/main.js`): every command, `bench` too.
const program = createProgram();
registerBench(program);

await program.parseAsync();
