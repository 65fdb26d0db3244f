import type { Command, Option } from 'commander';

/**
 * Shell completion scripts generated from the commander tree. commander has no completion of its
 * own, so the tree it already knows (commands, options, arguments, choices) is written out as a
 * static script: nothing runs node on TAB, and a new command or option is completed once the
 * script is regenerated.
 */

/** What the word after an option, or a positional argument, completes to. */
export type ValueKind =
  | { kind: 'file' }
  | { kind: 'dir' }
  | { kind: 'none' }
  | { kind: 'choices'; choices: string[] };

export interface CompletionOption {
  /** `-h`, `--help`: every spelling of the option. */
  names: string[];
  description: string;
  /** undefined for a flag that takes no value. */
  value?: ValueKind;
  /** A program option, accepted after any command too. */
  global?: boolean;
}

export interface CompletionArgument {
  name: string;
  required: boolean;
  variadic: boolean;
  value: ValueKind;
}

export interface CompletionNode {
  /** Command names from the program down, without the program's own: `['sessions', 'revoke']`. */
  path: string[];
  name: string;
  description: string;
  options: CompletionOption[];
  arguments: CompletionArgument[];
  subcommands: CompletionNode[];
}

/** `<dir>` completes directories, `<file>`/`<path>` files, anything else nothing in particular. */
function kindOf(placeholder: string | undefined, choices: readonly string[] | undefined) {
  if (choices?.length) return { kind: 'choices', choices: [...choices] } satisfies ValueKind;
  const name = placeholder?.replace(/[<>[\].]/g, '').toLowerCase() ?? '';
  if (/(^|-)dir$/.test(name)) return { kind: 'dir' } satisfies ValueKind;
  if (/(^|-)(file|path)$/.test(name)) return { kind: 'file' } satisfies ValueKind;
  return { kind: 'none' } satisfies ValueKind;
}

/** The first clause of a description, on one line: what fits beside a completion candidate. */
function shortDescription(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const clause = line.split(/; | \(/)[0] ?? line;
  return clause.length > 80 ? `${clause.slice(0, 79)}…` : clause;
}

function optionOf(option: Option): CompletionOption {
  const names = [option.short, option.long].filter((name): name is string => !!name);
  const takesValue = option.required || option.optional;
  const placeholder = /[<[][^>\]]+[>\]]/.exec(option.flags)?.[0];
  return {
    names,
    description: shortDescription(option.description),
    ...(takesValue ? { value: kindOf(placeholder, option.argChoices) } : {}),
  };
}

function nodeOf(command: Command, path: string[], inherited: CompletionOption[]): CompletionNode {
  const help = command.createHelp();
  const own = help.visibleOptions(command).map(optionOf);
  // Program options are accepted after a subcommand too (commander's default).
  const options = [
    ...own.map((mine) => inherited.find((option) => same(option, mine)) ?? mine),
    ...inherited.filter((option) => !own.some((mine) => same(mine, option))),
  ];
  const children = help.visibleCommands(command);
  const names = children.map((child) => child.name());
  return {
    path,
    name: command.name(),
    description: shortDescription(command.description()),
    options,
    arguments: command.registeredArguments.map((argument) => ({
      name: argument.name(),
      required: argument.required,
      variadic: argument.variadic,
      value: kindOf(argument.name(), argument.argChoices),
    })),
    subcommands: children.map((child) => {
      const node = nodeOf(child, [...path, child.name()], inherited);
      // commander's own `help [command]`: its argument is one of its siblings.
      if (child.name() === 'help' && node.arguments.length === 1 && node.arguments[0]) {
        const siblings = names.filter((name) => name !== 'help');
        node.arguments = [{ ...node.arguments[0], value: { kind: 'choices', choices: siblings } }];
      }
      return node;
    }),
  };
}

function same(a: CompletionOption, b: CompletionOption): boolean {
  return a.names.some((name) => b.names.includes(name));
}

/** The program's tree as completion sees it. */
export function completionTree(program: Command): CompletionNode {
  const globals = program
    .createHelp()
    .visibleOptions(program)
    // --version and --help belong to the program; every command has its own --help.
    .filter((option) => option.long !== '--version' && option.long !== '--help')
    .map((option) => ({ ...optionOf(option), global: true }));
  return nodeOf(program, [], globals);
}

function walk(node: CompletionNode, visit: (node: CompletionNode) => void) {
  visit(node);
  for (const child of node.subcommands) walk(child, visit);
}

/** A shell word for the generated script: single-quoted, `'` written as `'\''`. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function bashKind(value: ValueKind): string {
  return value.kind === 'choices' ? `choices:${value.choices.join(' ')}` : value.kind;
}

/**
 * A bash script: `_cryptweb` finds the command path in the words before the cursor, then offers
 * subcommands, options, or an option's or argument's values. Files and directories fall back to
 * readline's own completion (`-o default`), which knows `~`, quoting and spaces.
 */
export function bashCompletion(program: Command, version: string): string {
  const tree = completionTree(program);
  const bin = tree.name;
  const fn = `_${bin.replace(/[^A-Za-z0-9]/g, '_')}`;
  const subcommands: string[] = [];
  const options: string[] = [];
  const values: string[] = [];
  const positionals: string[] = [];
  walk(tree, (node) => {
    const key = node.path.join(' ');
    if (node.subcommands.length) {
      subcommands.push(
        `    ${quote(key)}) words=${quote(node.subcommands.map((c) => c.name).join(' '))} ;;`,
      );
    }
    options.push(
      `    ${quote(key)}) words=${quote(node.options.flatMap((o) => o.names).join(' '))} ;;`,
    );
    // Program options are matched once, at the end, whatever the path.
    for (const option of node.options) {
      if (!option.value || option.global) continue;
      for (const name of option.names) {
        values.push(`    ${quote(`${key}|${name}`)}) kind=${quote(bashKind(option.value))} ;;`);
      }
    }
    node.arguments.forEach((argument, index) => {
      // A variadic argument is the last one and takes every later position.
      const position = argument.variadic ? `${quote(`${key}|`)}*` : quote(`${key}|${index}`);
      positionals.push(`    ${position}) kind=${quote(bashKind(argument.value))} ;;`);
    });
  });
  for (const option of tree.options) {
    if (!option.global || !option.value) continue;
    for (const name of option.names) {
      values.push(`    *${quote(`|${name}`)}) kind=${quote(bashKind(option.value))} ;;`);
    }
  }
  return `# bash completion for ${bin} ${version}, generated by \`${bin} completion bash\`.
# Try it:     source <(${bin} completion bash)
# Keep it:    ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
#             (or add the line above to ~/.bashrc)

${fn}_subcommands() {
  case $1 in
${subcommands.join('\n')}
    *) words='' ;;
  esac
}

${fn}_options() {
  case $1 in
${options.join('\n')}
    *) words='' ;;
  esac
}

# The value an option takes ($1: command path, $2: option): file, dir, none, choices:…; '' for a flag.
${fn}_option_value() {
  case "$1|$2" in
${values.join('\n')}
    *) kind='' ;;
  esac
}

# What positional argument $2 (0-based) of command path $1 completes to.
${fn}_argument_value() {
  case "$1|$2" in
${positionals.join('\n')}
    *) kind=none ;;
  esac
}

${fn}_values() {
  case $1 in
    choices:*) COMPREPLY=($(compgen -W "\${1#choices:}" -- "$cur")) ;;
    dir) compopt -o dirnames 2>/dev/null; COMPREPLY=() ;;
    file) COMPREPLY=() ;;
    *) compopt +o default 2>/dev/null; COMPREPLY=() ;;
  esac
}

# COMP_WORDS splits at COMP_WORDBREAKS (":", "=" …): glue back the pieces that touch in the line,
# so that "--url http://host:4000" stays two words.
${fn}_words() {
  local line=\${COMP_LINE:0:COMP_POINT} offset=0 i word glued
  line_words=()
  for ((i = 0; i <= COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    glued=1
    while [[ \${line:offset:1} == [[:space:]] ]]; do
      offset=$((offset + 1))
      glued=0
    done
    if ((i > 0 && glued)); then
      line_words[\${#line_words[@]} - 1]+=$word
    else
      line_words+=("$word")
    fi
    offset=$((offset + \${#word}))
  done
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path='' word words kind pending='' i positional=0 last
  local -a line_words
  ${fn}_words
  last=$((\${#line_words[@]} - 1))
  for ((i = 1; i < last; i++)); do
    word=\${line_words[i]}
    if [[ -n $pending ]]; then
      pending=''
      continue
    fi
    case $word in
      -*=* | --) ;;
      -*)
        ${fn}_option_value "$path" "$word"
        pending=$kind
        ;;
      *)
        ${fn}_subcommands "$path"
        if [[ $positional == 0 && " $words " == *" $word "* ]]; then
          path=\${path:+$path }$word
        else
          positional=$((positional + 1))
        fi
        ;;
    esac
  done
  if [[ -n $pending ]]; then
    ${fn}_values "$pending"
    return
  fi
  # Inside a word with a ":" or "=" (a URL, --option=value): nothing better than the default.
  [[ \${line_words[last]} == "$cur" ]] || return
  if [[ $cur == -* ]]; then
    ${fn}_options "$path"
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return
  fi
  ${fn}_subcommands "$path"
  if [[ -n $words && $positional == 0 ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
    return
  fi
  ${fn}_argument_value "$path" "$positional"
  ${fn}_values "$kind"
}

complete -o default -F ${fn} ${bin}
`;
}

/** Text inside an `_arguments` option description: brackets and colons escaped. */
function zshDescription(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/([[\]:])/g, '\\$1');
}

function zshAction(value: ValueKind): string {
  switch (value.kind) {
    case 'file':
      return '_files';
    case 'dir':
      return '_files -/';
    case 'choices':
      return `(${value.choices.join(' ')})`;
    default:
      return ' ';
  }
}

function zshOptionSpec(option: CompletionOption): string {
  const description = `[${zshDescription(option.description)}]`;
  const value = option.value
    ? `:${option.names.at(-1)?.replace(/^-+/, '')}:${zshAction(option.value)}`
    : '';
  if (option.names.length === 1) return quote(`${option.names[0]}${description}${value}`);
  // '(-h --help)'{-h,--help}'[…]': either spelling, and not both.
  const names = option.names.join(' ');
  return `${quote(`(${names})`)}{${option.names.join(',')}}${quote(`${description}${value}`)}`;
}

function zshArgumentSpec(argument: CompletionArgument): string {
  const prefix = argument.variadic ? '*' : argument.required ? '' : ':';
  return quote(`${prefix}:${argument.name}:${zshAction(argument.value)}`);
}

function zshFunctionName(bin: string, path: string[]): string {
  return ['', bin, ...path].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

function zshFunction(bin: string, node: CompletionNode): string {
  const name = zshFunctionName(bin, node.path);
  const specs = node.options.map(zshOptionSpec);
  if (!node.subcommands.length) {
    specs.push(...node.arguments.map(zshArgumentSpec));
    return `${name}() {\n  _arguments -s -S \\\n    ${specs.join(' \\\n    ')}\n}\n`;
  }
  const commands = node.subcommands.map(
    (child) => `      ${quote(`${child.name.replace(/:/g, '\\:')}:${child.description}`)}`,
  );
  const dispatch = node.subcommands.map(
    (child) => `        ${quote(child.name)}) ${zshFunctionName(bin, child.path)} ;;`,
  );
  return `${name}() {
  local curcontext="$curcontext" state line
  local -a commands
  _arguments -C -s -S \\
    ${[...specs, quote('1: :->command'), quote('*:: :->argument')].join(' \\\n    ')} && return
  case $state in
    command)
      commands=(
${commands.join('\n')}
      )
      _describe -t commands ${quote(`${[bin, ...node.path].join(' ')} command`)} commands
      ;;
    argument)
      curcontext="\${curcontext%:*:*}:${[bin, ...node.path].join('-')}-$line[1]:"
      case $line[1] in
${dispatch.join('\n')}
      esac
      ;;
  esac
}
`;
}

/**
 * A zsh script in the completion system's own terms: `_arguments` for options and arguments (with
 * their descriptions), `_describe` for commands, one function per command.
 */
export function zshCompletion(program: Command, version: string): string {
  const tree = completionTree(program);
  const bin = tree.name;
  const functions: string[] = [];
  walk(tree, (node) => functions.push(zshFunction(bin, node)));
  return `#compdef ${bin}
# zsh completion for ${bin} ${version}, generated by \`${bin} completion zsh\`.
# Try it:     source <(${bin} completion zsh)      (after compinit)
# Keep it:    ${bin} completion zsh > "\${fpath[1]}/_${bin}"   (then start a new shell)

${functions.join('\n')}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  # Autoloaded from $fpath as _${bin}: this file is the function's body.
  ${zshFunctionName(bin, [])} "$@"
else
  compdef ${zshFunctionName(bin, [])} ${bin}
fi
`;
}
