import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bashCompletion, completionTable, zshCompletion } from '#cli/commands/completion.ts';
import { buildProgram } from '#cli/main.ts';

/** What bash offers after `line` (a trailing space starts a new word), with the generated script loaded. */
function complete(script: string, line: string): string[] {
  const words = line.split(' ');
  const program = `${script}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _muon
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('muon completion', () => {
  // The first buildProgram() loads every command module: slow on a loaded machine.
  it('lists every command path with its subcommands and options, from the command tree', async () => {
    const table = completionTable(await buildProgram());
    expect(table.get('')).toEqual(
      expect.arrayContaining(['job', 'pilot', 'cwl-runner', 'completion', '--api-url']),
    );
    expect(table.get('job')).toEqual(
      expect.arrayContaining(['submit', 'wait', 'why', 'peek', 'jdl', 'kill']),
    );
    expect(table.get('job kill')).toEqual(expect.arrayContaining(['--job-group', '--json', '--help']));
  }, 120_000);

  it('completes commands, subcommands and options in bash, skipping global options and their values', async () => {
    const script = bashCompletion(await buildProgram());
    expect(complete(script, 'muon jo')).toEqual(['job']);
    expect(complete(script, 'muon job w')).toEqual(['wait', 'why']);
    expect(complete(script, 'muon --api-url http://x job kill --job')).toEqual(['--job-group']);
    expect(complete(script, 'muon job submit ')).toEqual(expect.arrayContaining(['--input-files', '--jdl']));
    // Nothing of muon's fits a file argument: bash's own completion (-o default) takes over.
    expect(complete(script, 'muon job submit wf.c')).toEqual([]);
  });

  it('gives zsh the same function through bashcompinit', async () => {
    const script = zshCompletion(await buildProgram());
    expect(script).toMatch(/^# muon's completion for zsh/);
    expect(script).toContain('bashcompinit');
    expect(script).toContain('complete -o default -F _muon muon');
  });
});
