/**
 * `muon completion bash|zsh`: a shell completion script for every muon command, subcommand and
 * option, generated from the command tree itself so that it cannot fall behind a new command
 * (DiracX's `dirac` gets its completion from Typer the same way). zsh loads the bash function
 * through its bashcompinit layer, as git, the AWS CLI and many others do. Where no muon word fits
 * (a file argument), the shell's own file-name completion takes over.
 *
 *   bash: source <(muon completion bash)          (or save it under bash-completion's completions/)
 *   zsh:  source <(muon completion zsh)           (after compinit)
 */
import type { Command } from 'commander';
import { CliError, USAGE } from '#cli/errors.ts';

/** Every command path (`''`, `'job'`, `'job submit'`) with the words that may follow it. */
export function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const visit = (command: Command, path: string) => {
    const subcommands = command.commands.map((sub) => sub.name());
    const options = command.options
      .flatMap((option) => [option.long, option.short])
      .filter((flag): flag is string => flag !== undefined);
    table.set(path, [...subcommands, ...options, '--help']);
    for (const sub of command.commands) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  visit(program, '');
  return table;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

export function bashCompletion(program: Command): string {
  const table = completionTable(program);
  const cases = [...table].map(([path, words]) => `    ${quote(path)}) echo ${quote(words.join(' '))} ;;`);
  return `# muon's completion for bash (muon completion bash): source <(muon completion bash)
_muon_words() {
  case "$1" in
${cases.join('\n')}
    *) return 1 ;;
  esac
}

_muon() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next i words
  # The deepest command path the words so far name; options and their values are skipped.
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="\${path:+$path }\${COMP_WORDS[i]}"
    if _muon_words "$next" >/dev/null; then path="$next"; fi
  done
  words="$(_muon_words "$path")"
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -o default -F _muon muon
`;
}

export function zshCompletion(program: Command): string {
  return `# muon's completion for zsh (muon completion zsh): source <(muon completion zsh), after compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash or zsh)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText('after', '\nExamples:\n  source <(muon completion bash)\n  source <(muon completion zsh)')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw new CliError(`muon completion knows bash and zsh, not "${shell}".`, USAGE);
    });
}
