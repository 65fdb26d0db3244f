import { Argument, type Command } from 'commander';
import { bashCompletion, zshCompletion } from '../lib/completion.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion } as const;

export function completionCommand(program: Command) {
  program
    .command('completion')
    .description('print a shell completion script for bash or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(Object.keys(SHELLS)))
    .addHelpText(
      'after',
      `
Load it in the running shell:
  bash:  source <(cryptweb completion bash)
  zsh:   source <(cryptweb completion zsh)        (after compinit)

Keep it for every new shell:
  bash:  cryptweb completion bash > ~/.local/share/bash-completion/completions/cryptweb
  zsh:   cryptweb completion zsh > "\${fpath[1]}/_cryptweb"
`,
    )
    .action((shell: keyof typeof SHELLS) => {
      process.stdout.write(SHELLS[shell](program, program.version() ?? ''));
    });
}
