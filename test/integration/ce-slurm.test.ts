import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
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
let config: ReturnType<typeof computingElementConfig>;

beforeAll(async () => {
  slurm = await startSlurm();
  workDir = join(slurm.dir, 'pilots');
  config = computingElementConfig({
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
      // The site director's own credential variables are not passed on to the jobs.
      const leaky = createComputingElement('HPC.slurm.test', 'slurm1', config, {
        home: slurm.dir,
        env: { ...slurm.env, MUON_CLIENT_SECRET: 'launcher-secret' },
      });
      // A stand-in pilot: it reads its credentials file and deletes it, as `muon pilot` does.
      const look = [
        'f=$2',
        'echo "$MUON_PILOT_REFERENCE $1 $(stat -c %a "$f") $(stat -c %a "$(dirname "$f")") $(cat "$f")"',
        'rm -f "$f"',
        // Spelt in two halves: this script is in the batch script itself.
        's=launcher-',
        'echo "leaked: $(env | grep -c "$s"secret)"',
        'sleep 2',
      ].join('; ');
      const references = await leaky.submitPilots(2, {
        ...shellPilot(look),
        credentials: { token: "it's secret" },
      });
      expect(references).toHaveLength(2);
      for (const reference of references) expect(reference).toMatch(/^slurm:\/\/muontest\/\d+$/);

      const seen = await waitForStates(ce, references, ['Done']);
      for (const reference of references) {
        const history = seen.get(reference) ?? [];
        expect(history.at(-1)).toBe('Done');
        expect(history.slice(0, -1).every((state) => state === 'Waiting' || state === 'Running')).toBe(true);
        const jobId = reference.slice(reference.lastIndexOf('/') + 1);
        const log = join(workDir, `${jobId}.log`);
        expect(readFileSync(log, 'utf8')).toBe(
          `${reference} --credentials-file 600 700 {"token":"it's secret"}\nleaked: 0\n`,
        );
        expect(statSync(log).mode & 0o777).toBe(0o600);
        // Slurm keeps the batch script, and the job's uid may read it back: it names only the file.
        const script = execFileSync('scontrol', ['write', 'batch_script', jobId, '-'], {
          env: slurm.env,
          encoding: 'utf8',
        });
        expect(script).toContain('--credentials-file');
        expect(script).not.toContain("it's secret");
        expect(script).not.toContain('launcher-secret');
      }
      expect(readdirSync(join(workDir, 'credentials'))).toEqual([]);
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

  it('removes the credentials files of pilots that never read them, once a day old', async () => {
    const dir = join(workDir, 'credentials');
    const stale = join(dir, 'cancelled-while-pending.json');
    const fresh = join(dir, 'still-pending.json');
    writeFileSync(stale, '{}', { mode: 0o600 });
    writeFileSync(fresh, '{}', { mode: 0o600 });
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    utimesSync(stale, twoDaysAgo, twoDaysAgo);
    const references = await ce.submitPilots(1, shellPilot('true'));
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    rmSync(fresh);
    await waitForStates(ce, references, ['Done']);
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
