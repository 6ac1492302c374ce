import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { payloadEnvironment } from '#pilot/wrapper/command.ts';
import { startJobWrapper } from '#pilot/wrapper/index.ts';
import { createPayloadUserPool, isolatedPayloadRunner } from '#pilot/wrapper/isolation.ts';
import { payloadWorkRoot } from '#pilot/wrapper/work-root.ts';
import { createJobDirectory, jobPaths } from '#pilot/wrapper/workdir.ts';
import { FakePilot, matchedJob } from '#test/fixtures/pilot/fake-pilot.ts';
import { quietLogger } from './pilot-fakes.ts';

const isRoot = process.getuid?.() === 0;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('The payload environment', () => {
  it('carries no credential of the pilot, its container or muon', () => {
    const pilot = {
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'secret',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: '/var/run/token',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'secret',
      MUON_TOKEN: 'pilot token',
      MUON_CLIENT_ID: 'client',
      MUON_CLIENT_SECRET: 'secret',
      MUON_PILOT_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      MUON_API_URL: 'https://api.example.org',
      GITHUB_TOKEN: 'secret',
      DB_PASSWORD: 'secret',
    };
    expect(payloadEnvironment(pilot, { DIRACJOBID: '7' })).toEqual({
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      DIRACJOBID: '7',
    });
  });
});

describe('The payload user pool', () => {
  it('passes over the ids processes of the machine use, however many processes it has', async () => {
    const proc = mkdtempSync(join(tmpdir(), 'muon-proc-'));
    cleanups.push(() => rmSync(proc, { recursive: true, force: true }));
    // More processes than are read at once: the busy one comes last.
    for (let pid = 1; pid <= 500; pid += 1) {
      mkdirSync(join(proc, String(pid)));
      const uid = pid === 500 ? 61_000 : 1000;
      writeFileSync(
        join(proc, String(pid), 'status'),
        `Name:\tx\nState:\tS (sleeping)\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`,
      );
    }
    const pool = createPayloadUserPool({ base: 61_000, count: 2 }, proc);
    expect((await pool.acquire()).uid).toBe(61_001);
    await expect(pool.acquire()).rejects.toThrow(/no free payload user/);
  });

  it('takes an id whose only processes are zombies', async () => {
    const proc = mkdtempSync(join(tmpdir(), 'muon-proc-'));
    cleanups.push(() => rmSync(proc, { recursive: true, force: true }));
    mkdirSync(join(proc, '1'));
    writeFileSync(
      join(proc, '1', 'status'),
      'Name:\tx\nState:\tZ (zombie)\nUid:\t61000\t61000\t61000\t61000\n',
    );
    const pool = createPayloadUserPool({ base: 61_000, count: 1 }, proc);
    expect((await pool.acquire()).uid).toBe(61_000);
  });
});

describe("A root pilot's work directory", () => {
  it("is private to root at its top, without following links or taking the owner's bits", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muon-work-root-'));
    const outside = mkdtempSync(join(tmpdir(), 'muon-outside-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
    writeFileSync(join(dir, 'setup.sh'), '', { mode: 0o755 });
    writeFileSync(join(dir, 'notes'), '', { mode: 0o644 });
    mkdirSync(join(dir, 'cache'), { mode: 0o755 });
    writeFileSync(join(outside, 'shared'), '', { mode: 0o644 });
    symlinkSync(join(outside, 'shared'), join(dir, 'link'));
    for (const name of ['setup.sh', 'notes', 'cache'])
      chmodSync(join(dir, name), name === 'notes' ? 0o644 : 0o755);
    chmodSync(join(outside, 'shared'), 0o644);

    await payloadWorkRoot(dir);
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(dir)).toBe(0o711);
    expect([mode(join(dir, 'setup.sh')), mode(join(dir, 'notes')), mode(join(dir, 'cache'))]).toEqual([
      0o700, 0o600, 0o700,
    ]);
    expect(mode(join(outside, 'shared'))).toBe(0o644);
  });
});

/** The pids of the living processes of `uid`. */
function processesOf(uid: number): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status) && !/^State:\s+Z/m.test(status);
      } catch {
        return false;
      }
    });
}

/** A work root prepared as a root pilot prepares it, with the pilot's log and another job's directory in it. */
async function workRoot() {
  const dir = mkdtempSync(join(tmpdir(), 'muon-isolation-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'pilot.log'), 'pilot secrets');
  mkdirSync(join(dir, '99'));
  writeFileSync(join(dir, '99', 'result.txt'), 'another job');
  const prepared = await payloadWorkRoot(dir);
  expect(prepared).toEqual({ workRoot: dir, temporary: false });
  return dir;
}

/** Runs `script` with /bin/sh as an isolated payload of job 7; returns its std.out and std.err. */
async function runIsolated(root: string, script: string) {
  const paths = jobPaths(root, 7);
  await createJobDirectory(paths);
  const runner = isolatedPayloadRunner(createPayloadUserPool({ base: 61_000, count: 10 }));
  const running = await runner.start(
    { command: ['/bin/sh', '-c', script], env: { PATH: '/usr/bin:/bin' } },
    {
      job: matchedJob({ JobID: 7 }),
      paths,
      processors: 1,
      treePids: () => [],
      report: () => undefined,
      logger: quietLogger(),
    },
  );
  const exit = await running.exit;
  return {
    paths,
    exit,
    stdout: readFileSync(paths.stdout, 'utf8').trim().split('\n'),
    stderr: existsSync(paths.stderr) ? readFileSync(paths.stderr, 'utf8') : undefined,
  };
}

describe.runIf(isRoot)('A payload of a root pilot', () => {
  it('runs as an unprivileged user and group of its own, in a job directory it owns', async () => {
    const root = await workRoot();
    const { stdout, exit, paths } = await runIsolated(
      root,
      'id -u; id -g; id -G; stat -c "%u %a" .; echo "$HOME"; echo "$TMPDIR"; touch "$HOME/x" "$TMPDIR/y" && echo writable',
    );
    expect(exit.exitCode).toBe(0);
    const [uid, gid, groups, owner, home, tmp, writable] = stdout;
    expect(Number(uid)).toBeGreaterThanOrEqual(61_000);
    expect(Number(uid)).toBeLessThan(61_010);
    expect(gid).toBe(uid);
    expect(groups).toBe(uid);
    expect(owner).toBe(`${uid} 700`);
    expect(home?.startsWith(`${paths.root}/`)).toBe(true);
    expect(tmp?.startsWith(`${paths.root}/`)).toBe(true);
    expect(writable).toBe('writable');
  });

  it("cannot list the work root or read the pilot's log or another job's directory", async () => {
    const root = await workRoot();
    const { stdout, stderr } = await runIsolated(
      root,
      'ls .. >/dev/null 2>&1 || echo no-list; cat ../pilot.log 2>/dev/null || echo no-log; cat ../99/result.txt 2>/dev/null || echo no-job',
    );
    expect(stdout).toEqual(['no-list', 'no-log', 'no-job']);
    expect(stderr).toBe('');
    expect(statSync(join(root, 'pilot.log')).mode & 0o777).toBe(0o600);
    expect(statSync(root).mode & 0o777).toBe(0o711);
  });

  it('leaves no process behind and nothing planted for the wrapper', async () => {
    const root = await workRoot();
    const { paths } = await runIsolated(
      root,
      'setsid sleep 300 >/dev/null 2>&1 & ln -sf ../pilot.log std.err; rm -rf .muon; ln -s /etc .muon; echo planted',
    );
    expect(processesOf(statSync(paths.root).uid)).toEqual([]);
    expect(lstatSync(paths.stdout).isFile()).toBe(true);
    expect(() => lstatSync(paths.stderr)).toThrow(/ENOENT/);
    const own = lstatSync(paths.private);
    expect(own.isDirectory()).toBe(true);
    expect(own.uid).toBe(0);
  });

  it("removes what it left in the machine's temporary directories, and only that", async () => {
    const root = await workRoot();
    const mine = `muon-isolation-${process.pid}`;
    writeFileSync(join('/tmp', `${mine}-root`), 'kept');
    cleanups.push(() => rmSync(join('/tmp', `${mine}-root`), { force: true }));
    await runIsolated(
      root,
      `mkdir /tmp/${mine}-dir && touch /tmp/${mine}-dir/f /tmp/${mine}-file /var/tmp/${mine} /dev/shm/${mine}`,
    );
    expect(existsSync(join('/tmp', `${mine}-dir`))).toBe(false);
    expect(existsSync(join('/tmp', `${mine}-file`))).toBe(false);
    expect(existsSync(join('/var/tmp', mine))).toBe(false);
    expect(existsSync(join('/dev/shm', mine))).toBe(false);
    expect(readFileSync(join('/tmp', `${mine}-root`), 'utf8')).toBe('kept');
  });

  it('runs through the job wrapper, which reads its outputs as root afterwards', async () => {
    const pilot = new FakePilot();
    cleanups.push(() => pilot.cleanup());
    chmodSync(pilot.root, 0o711);
    const job = matchedJob({
      JobID: 8,
      Executable: '/bin/sh',
      Arguments: `-c 'id -u > uid.txt; cat ../../pilot-file 2>/dev/null || echo refused'`,
      OutputSandbox: ['uid.txt'],
    });
    writeFileSync(join(pilot.root, 'pilot-file'), 'secret');
    chmodSync(join(pilot.root, 'pilot-file'), 0o600);
    const context = {
      ...pilot.context(),
      payloadRunner: isolatedPayloadRunner(createPayloadUserPool({ base: 62_000, count: 5 })),
    };
    expect(await startJobWrapper(job, context).done).toEqual({ status: 'Done' });
    const files = await pilot.outputSandbox(8);
    expect(Number(files['uid.txt'])).toBeGreaterThanOrEqual(62_000);
    expect(files['std.out']).toBe('refused\n');
    expect(pilot.jobCalls.every((call) => call.jobId === 8 && call.token === 'payload-token-8')).toBe(true);
    expect(pilot.jobCalls.map((call) => call.call)).toContain('uploadOutputSandbox');
  });
});
