import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ComputingElement,
  ComputingElementUnavailableError,
  createComputingElement,
} from '#shared/ce/index.ts';
import {
  computingElementConfig,
  shellPilot,
  waitForStates,
} from '#test/integration/support/computing-elements.ts';
import { startSlurm, type TestSlurm } from '#test/integration/support/slurm.ts';

let slurm: TestSlurm;
let ce: ComputingElement;
let workDir: string;

beforeAll(async () => {
  slurm = await startSlurm();
  workDir = join(slurm.dir, 'pilots');
  const config = computingElementConfig({
    type: 'Slurm',
    maxPilots: 4,
    maxWaitingPilots: 3,
    settings: { partition: 'debug', timeLimitMinutes: 5, workDir, command: ['sh', '-c'] },
  });
  ce = createComputingElement('HPC.slurm.test', 'slurm1', config, { home: slurm.dir, env: slurm.env });
});
afterAll(() => slurm?.stop());

describe('Slurm computing element', () => {
  // Slurm takes about a second to start each job: these run side by side.
  describe.concurrent('against a running cluster', () => {
    it('submits one job per pilot; each pilot knows its reference; Waiting or Running, then Done', async () => {
      const references = await ce.submitPilots(
        2,
        shellPilot('echo "$MUON_PILOT_REFERENCE $MUON_TOKEN"; sleep 2', { MUON_TOKEN: "it's secret" }),
      );
      expect(references).toHaveLength(2);
      for (const reference of references) expect(reference).toMatch(/^slurm:\/\/muontest\/\d+$/);

      const seen = await waitForStates(ce, references, ['Done']);
      for (const reference of references) {
        const history = seen.get(reference) ?? [];
        expect(history.at(-1)).toBe('Done');
        expect(history.slice(0, -1).every((state) => state === 'Waiting' || state === 'Running')).toBe(true);
        const jobId = reference.slice(reference.lastIndexOf('/') + 1);
        expect(readFileSync(join(workDir, `${jobId}.log`), 'utf8')).toBe(`${reference} it's secret\n`);
      }
    });

    it('reports a pilot that exits non-zero as Failed', async () => {
      const references = await ce.submitPilots(1, shellPilot('exit 3'));
      await waitForStates(ce, references, ['Failed']);
    });

    it('cancels a pilot with scancel: Aborted', async () => {
      const references = await ce.submitPilots(1, shellPilot('sleep 60'));
      await waitForStates(ce, references, ['Running']);
      await ce.cancel(references);
      await waitForStates(ce, references, ['Aborted'], 5_000);
    });

    it('counts its queued and running pilots against maxPilots and maxWaitingPilots', async () => {
      const references = await ce.submitPilots(1, shellPilot('sleep 60'));
      await waitForStates(ce, references, ['Running']);
      const { running, waiting, slots } = await ce.available();
      expect(running).toBeGreaterThanOrEqual(1);
      expect(slots).toBe(Math.max(0, Math.min(3 - waiting, 4 - running - waiting)));
      await ce.cancel(references);
    });

    it('knows nothing of forgotten jobs or of another cluster', async () => {
      const states = await ce.status(['slurm://muontest/999999', 'slurm://other/1', 'local://h/1']);
      expect([...states.values()]).toEqual(['Unknown', 'Unknown', 'Unknown']);
    });
  });

  it('without slurmctld, says the element is unavailable', async () => {
    await slurm.stopController();
    const submitting = ce.submitPilots(1, shellPilot('true'));
    await expect(submitting).rejects.toThrow(ComputingElementUnavailableError);
    await expect(submitting).rejects.toThrow(
      /^Slurm CE HPC\.slurm\.test\/slurm1 is unavailable: sbatch: error: .*Unable to contact slurm controller/,
    );
  });
});
