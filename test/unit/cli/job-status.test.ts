/** `muon job status`: a row per job found, and an error naming the ids that were not. */
import { describe, expect, it } from 'vitest';
import type { JobApi } from '#cli/commands/job-api.ts';
import { showStatus } from '#cli/commands/job-query.ts';
import { CliError } from '#cli/errors.ts';

/** A JobApi whose search finds only `known`, and an output that keeps what is written. */
function setUp(known: number[]) {
  const api = {
    search: async (request: { search: { values: number[] }[] }) => ({
      rows: (request.search[0]?.values ?? [])
        .filter((id) => known.includes(id))
        .map((id) => ({ JobID: id, Status: 'Done', MinorStatus: 'Execution Complete' })),
    }),
  } as unknown as JobApi;
  const written: string[] = [];
  const out = { isTTY: false, write: (text: string) => written.push(text) > 0 };
  return { api, out, written };
}

describe('muon job status', () => {
  it('prints nothing on stdout, not an empty line, when no job is found', async () => {
    const { api, out, written } = setUp([]);
    await expect(showStatus(api, [999999], false, out)).rejects.toThrow(
      new CliError('No job 999999 (or not one you may see).'),
    );
    expect(written).toEqual([]);
  });

  it('prints the jobs found, then names the missing ones', async () => {
    const { api, out, written } = setUp([1]);
    await expect(showStatus(api, [1, 2], false, out)).rejects.toThrow('No job 2 (or not one you may see).');
    expect(written.join('')).toMatch(/^1\tDone\tExecution Complete\t/);
  });

  it('prints an empty JSON list with --json', async () => {
    const { api, out, written } = setUp([]);
    await expect(showStatus(api, [7], true, out)).rejects.toThrow(CliError);
    expect(written.join('').trim()).toBe('[]');
  });
});
