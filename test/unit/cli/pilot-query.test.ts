import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { pilotColumnNames, registerPilotQueries } from '#cli/commands/pilot-query.ts';
import { pilotColumns } from '#shared/pilots/search.ts';

describe('muon pilot list|summary', () => {
  it('knows the pilot columns the API searches, in its order', () => {
    expect([...pilotColumnNames]).toEqual(Object.keys(pilotColumns));
  });

  it('adds list and summary to the pilot command', () => {
    const program = new Command('muon');
    program.command('pilot');
    registerPilotQueries(program);
    const pilot = program.commands.find((command) => command.name() === 'pilot');
    expect(pilot?.commands.map((command) => command.name())).toEqual(['list', 'summary']);
  });
});
