/**
 * `muon site-director` on an "edge node" (this process): a waiting job brings a pilot to a real
 * single-node Slurm cluster, through the tables of the embedded runtime that `$MUON_HOME/local.json`
 * names. The pilot record is Submitted under a `slurm://` reference, the Slurm job exists, and the
 * pilot it runs (`muon pilot` of this checkout) takes the job to Done.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runSiteDirector } from '#cli/commands/site-director.ts';
import { CliError } from '#cli/errors.ts';
import { devIdentities } from '#local/dev-auth.ts';
import { writeLocalFile } from '#local/home.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { createLogger } from '#shared/log.ts';
import { getPilot } from '#shared/pilots/records.ts';
import { computingElementConfig } from '#test/integration/support/computing-elements.ts';
import { hasStatus, jobIdsOf, submitJdl, waitForJob } from '#test/integration/support/jobs.ts';
import { anyCpuTimeConfig, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { startSlurm, type TestSlurm } from '#test/integration/support/slurm.ts';

const scratch = mkdtempSync(join(tmpdir(), 'muon-site-director-slurm-'));
const configFile = join(scratch, 'muon.json');
const site = 'HPC.slurm.test';

function config(): MuonConfig {
  const base = anyCpuTimeConfig();
  return {
    ...base,
    sites: {
      ...base.sites,
      [site]: {
        storageElements: ['LOCAL-DISK'],
        banned: false,
        computingElements: {
          slurm1: computingElementConfig({
            type: 'Slurm',
            maxPilots: 2,
            settings: {
              partition: 'debug',
              workDir: join(scratch, 'pilots'),
              // This checkout's muon, run by this Node.js, on the "worker node".
              command: [process.execPath, resolve('bin/muon.mjs')],
            },
          }),
        },
      },
    },
    pilot: {
      ...base.pilot,
      pollSeconds: 0.3,
      maxPollSeconds: 0.5,
      heartbeatSeconds: 0.5,
      logUploadSeconds: 1,
      graceSeconds: 1,
      idleStopSeconds: 3,
    },
  };
}

let slurm: TestSlurm;
let runtime: TestRuntime;
let env: Record<string, string | undefined>;
const lines: string[] = [];
const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });

beforeAll(async () => {
  const settings = config();
  writeFileSync(configFile, JSON.stringify(settings));
  [slurm, runtime] = await Promise.all([
    startSlurm('muonsd'),
    startTestRuntime({ config: settings, scheduleEveryMs: 500, prefix: 'muon-sd-slurm' }),
  ]);
  // What `muon local` writes: the API, the tokens, and the emulators with their tables.
  writeLocalFile(runtime.home, {
    apiUrl: runtime.apiUrl,
    tokens: runtime.tokens,
    endpoints: runtime.endpoints,
    tables: { ...runtime.resources.tables },
  });
  env = { ...slurm.env, MUON_HOME: runtime.home };
  for (const name of ['MUON_API_URL', 'MUON_PILOT_TOKEN', 'MUON_TABLE_PILOTS', 'MUON_TABLE_TASK_QUEUES'])
    delete env[name];
}, 60_000);

afterAll(async () => {
  await slurm?.stop();
  await runtime?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('muon site-director with a Slurm computing element', () => {
  it('submits a Slurm pilot for a waiting job: Submitted under slurm://, then the job is Done', async () => {
    const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "/bin/true";']));
    await waitForJob(runtime, jobId as number, hasStatus('Waiting'));

    expect(await runSiteDirector({ config: configFile, once: true }, { env, logger })).toBe(0);

    const pilots = runtime.resources.tables.pilots as string;
    // The pilot may already have registered (Running) by now: its record keeps where it was submitted.
    const submitted = lines.filter((line) => line.includes('"message":"pilots submitted"'));
    expect(submitted).toHaveLength(1);
    const references: string[] = JSON.parse(submitted[0] ?? '{}').references ?? [];
    expect(references).toHaveLength(1);
    const reference = references[0] ?? '';
    expect(reference).toMatch(/^slurm:\/\/muonsd\/\d+$/);
    const record = await getPilot(runtime.aws.dynamo, pilots, reference);
    expect(record).toMatchObject({
      site,
      gridCE: 'slurm1',
      ceType: 'Slurm',
      submittedAt: expect.any(String),
    });
    const slurmId = reference.slice(reference.lastIndexOf('/') + 1);
    const squeue = spawnSync('squeue', ['-h', '-t', 'all', '-j', slurmId, '-o', '%i %j'], {
      env: slurm.env,
      encoding: 'utf8',
    });
    expect(squeue.stdout.trim()).toBe(`${slurmId} muon-${site}-slurm1`);

    const done = await waitForJob(runtime, jobId as number, hasStatus('Done'), 60_000);
    expect((done.Parameters as Record<string, string>).Pilot_Reference).toBe(reference);
    await vi.waitFor(
      async () => expect((await getPilot(runtime.aws.dynamo, pilots, reference))?.status).toBe('Done'),
      { timeout: 20_000, interval: 200 },
    );
    // One pilot covers the one job: a second cycle submits none.
    expect(await runSiteDirector({ config: configFile, once: true }, { env, logger })).toBe(0);
    const cycles = lines.filter((line) => line.includes('"message":"site director cycle"'));
    expect(cycles.at(-1)).toContain('"submitted":0');
  }, 120_000);

  it("gives its pilots this host's OAuth2 client, and the pilot gets its tokens with it", async () => {
    const asked: string[] = [];
    const idp = createServer((request, response) => {
      request.resume();
      request.on('end', async () => {
        // RFC 6749 section 2.3.1: each part of the Basic credentials is form-encoded.
        const basic = Buffer.from((request.headers.authorization ?? '').slice('Basic '.length), 'base64');
        const parts = basic
          .toString()
          .split(':')
          .map((part) => decodeURIComponent(part.replaceAll('+', ' ')));
        asked.push(parts.join(':'));
        const token = await runtime.authority.sign(devIdentities(config()).pilot, 600);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 600 }));
      });
    });
    await new Promise<void>((done) => idp.listen(0, '127.0.0.1', done));
    try {
      const tokenUrl = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/token`;
      const withClient = {
        ...env,
        MUON_CLIENT_ID: 'edge',
        MUON_CLIENT_SECRET: 'edge-secret',
        MUON_TOKEN_URL: tokenUrl,
      };
      const [jobId] = await jobIdsOf(await submitJdl(runtime, ['Executable = "/bin/true";']));
      await waitForJob(runtime, jobId as number, hasStatus('Waiting'));
      expect(await runSiteDirector({ config: configFile, once: true }, { env: withClient, logger })).toBe(0);
      const done = await waitForJob(runtime, jobId as number, hasStatus('Done'), 60_000);
      const reference = (done.Parameters as Record<string, string>).Pilot_Reference as string;
      expect(reference).toMatch(/^slurm:\/\/muonsd\/\d+$/);
      expect(asked[0]).toBe('edge:edge-secret');
      // The client went in a credentials file, which the pilot deleted: Slurm's copy of the batch
      // script, which the job's user can read back, names only the file.
      const script = execFileSync(
        'scontrol',
        ['write', 'batch_script', reference.split('/').at(-1) as string, '-'],
        {
          env: slurm.env,
          encoding: 'utf8',
        },
      );
      const file = /'--credentials-file' '([^']+)'/.exec(script)?.[1];
      expect(file).toBeDefined();
      expect(existsSync(file as string)).toBe(false);
      expect(script).not.toContain('edge-secret');
    } finally {
      await new Promise((done) => idp.close(done));
    }
  }, 120_000);

  it('stops the loop after the current cycle when its signal aborts', async () => {
    const cycles = () => lines.filter((line) => line.includes('"message":"site director cycle"')).length;
    const before = cycles();
    const controller = new AbortController();
    const running = runSiteDirector(
      { config: configFile, every: 3600 },
      { env, logger, signal: controller.signal },
    );
    await vi.waitFor(() => expect(cycles()).toBe(before + 1), { timeout: 10_000 });
    controller.abort();
    expect(await running).toBe(0);
  });

  it('refuses an element it cannot drive, and one the configuration lacks', async () => {
    await expect(
      runSiteDirector({ config: configFile, once: true, ces: ['NOPE.site/ce'] }, { env, logger }),
    ).rejects.toThrow(CliError);
    const withBatch = join(scratch, 'batch.json');
    const settings = config();
    settings.sites[site] = {
      storageElements: [],
      banned: false,
      computingElements: { batch1: computingElementConfig({ type: 'AwsBatch' }) },
    };
    writeFileSync(withBatch, JSON.stringify(settings));
    await expect(
      runSiteDirector({ config: withBatch, once: true, ces: [`${site}/batch1`] }, { env, logger }),
    ).rejects.toThrow(/is an AwsBatch element: the siteDirectorAgent Lambda drives those/);
  });
});
