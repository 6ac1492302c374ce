import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCwlJob } from '#pilot/wrapper/cwl.ts';
import { defaultPreProcess } from '#pilot/wrapper/default-hooks.ts';
import { isPayloadCommand, type PreProcessContext } from '#pilot/wrapper/hooks.ts';
import { type PayloadIdentity, startPayload } from '#pilot/wrapper/payload.ts';
import { markWarm, takeWarmFailure } from '#pilot/wrapper/warm-cwltool.ts';
import { createJobDirectory, jobPaths } from '#pilot/wrapper/workdir.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import { createLogger } from '#shared/log.ts';
import { matchedJob } from '#test/fixtures/pilot/fake-pilot.ts';

const execFileAsync = promisify(execFile);

// Real cwltool (Debian's /usr/bin/cwltool): the first warm start waits for the zygote's imports.
const timeout = 90_000;
const root = process.getuid?.() === 0;
// A root pilot's payloads run as a user of their own; the test takes one from the pool's range.
const identity: PayloadIdentity | undefined = root ? { uid: 61_997, gid: 61_997 } : undefined;

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'muon-warm-'));
  await chmod(dir, 0o755);
  // What the tool prints: its user and groups, a variable of the payload's environment, the
  // process group of cwltool (its parent) and cwltool's parent: the zygote, or this process.
  await writeFile(
    join(dir, 'who.cwl'),
    JSON.stringify({
      cwlVersion: 'v1.2',
      class: 'CommandLineTool',
      baseCommand: ['sh', '-c'],
      arguments: [
        // Backquotes: `$(` would be a CWL parameter reference.
        'echo "`id -u` `id -G` $WARM_TEST `cut -d" " -f5 /proc/$PPID/stat` `cut -d" " -f4 /proc/$PPID/stat`"; exit $0',
      ],
      inputs: { code: { type: 'int', inputBinding: { position: 1 } } },
      outputs: { out: 'stdout' },
      stdout: 'who.txt',
    }),
  );
  await writeFile(
    join(dir, 'sleep.cwl'),
    JSON.stringify({
      cwlVersion: 'v1.2',
      class: 'CommandLineTool',
      baseCommand: ['sleep', '60'],
      inputs: {},
      outputs: {},
    }),
  );
  if (identity) await chown(dir, identity.uid, identity.gid);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The cwltool command the default preProcess builds, with its document relative to the job directory. */
const cwltool = (code: number, extra: readonly string[] = []) => [
  '/usr/bin/cwltool',
  ...extra,
  '--disable-color',
  '--no-container',
  '--preserve-environment',
  'WARM_TEST',
  '--outdir',
  join(dir, `out-${code}`),
  'who.cwl',
  '--code',
  String(code),
];

async function run(command: string[], warm: boolean) {
  if (warm) markWarm(command);
  const files = { cwd: dir, stdout: join(dir, 'std.out'), stderr: join(dir, 'std.err') };
  const payload = await startPayload(
    { command, env: { ...startup, PATH: '/usr/bin:/bin', WARM_TEST: `value-${command.length}` } },
    files,
    () => [],
    identity,
  );
  const exit = await payload.exit;
  const printed = await readFile(join(dir, 'std.out'), 'utf8');
  return { pid: payload.pid, exit, printed, log: await readFile(files.stderr, 'utf8') };
}

const fields = async (code: number) =>
  (await readFile(join(dir, `out-${code}`, 'who.txt'), 'utf8')).trim().split(' ');

/** Processes of process group `pgid` that are not zombies (the test's pid 1 may not reap them). */
async function livingInGroup(pgid: number): Promise<string[]> {
  const living: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') living.push(entry);
  }
  return living;
}

/** Whether a writable mapping of process `pid` holds `text` (what a payload can read of itself). */
async function memoryHolds(pid: number, text: string): Promise<boolean> {
  const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
  const memory = await open(`/proc/${pid}/mem`, 'r');
  try {
    for (const line of maps.split('\n')) {
      const [range, mode] = line.split(' ');
      if (range === undefined || !mode?.startsWith('rw')) continue;
      const [start = 0, end = 0] = range.split('-').map((hex) => Number.parseInt(hex, 16));
      const buffer = Buffer.alloc(end - start);
      const read = await memory.read(buffer, 0, buffer.length, start).catch(() => ({ bytesRead: 0 }));
      if (buffer.subarray(0, read.bytesRead).includes(text)) return true;
    }
    return false;
  } finally {
    await memory.close();
  }
}

/** The variables an interpreter reads at its start, as the pilot's payloads all have them. */
const startup = Object.fromEntries(
  Object.entries(process.env).filter(
    (entry): entry is [string, string] => /^(PYTHON|LC_|LANG)/.test(entry[0]) && entry[1] !== undefined,
  ),
);

describe('Warm cwltool', () => {
  it(
    'forks the payload from the warm cwltool as the payload user, in its own process group, with its environment',
    async () => {
      const command = cwltool(0);
      const { pid, exit, printed, log } = await run(command, true);
      expect(exit).toEqual({ exitCode: 0, signal: null });
      expect(JSON.parse(printed)).toMatchObject({ out: { class: 'File', basename: 'who.txt' } });
      expect(log).toContain('Final process status is success');
      const [uid, groups, variable, pgid, parent] = await fields(0);
      expect(uid).toBe(String(identity?.uid ?? process.getuid?.()));
      if (identity) expect(groups).toBe(String(identity.gid));
      expect(variable).toBe(`value-${command.length}`);
      expect(pgid).toBe(String(pid));
      // Forked from the zygote, not spawned by this process.
      expect(parent).not.toBe(String(process.pid));
    },
    timeout,
  );

  it(
    "shows a payload no other payload's environment in /proc/<pid>/environ",
    async () => {
      // cwltool's initial environment block, as the tool (same user) reads it.
      await writeFile(
        join(dir, 'environ.cwl'),
        JSON.stringify({
          cwlVersion: 'v1.2',
          class: 'CommandLineTool',
          baseCommand: ['sh', '-c'],
          arguments: ['tr "\\0" "\\n" < /proc/$PPID/environ | grep ^WARM_TEST= || true'],
          inputs: {},
          outputs: { out: 'stdout' },
          stdout: 'environ.txt',
        }),
      );
      const seen: string[] = [];
      for (const value of ['first', 'second']) {
        const command = [
          '/usr/bin/cwltool',
          '--disable-color',
          '--no-container',
          '--outdir',
          join(dir, `environ-${value}`),
          'environ.cwl',
        ];
        markWarm(command);
        const payload = await startPayload(
          { command, env: { ...startup, PATH: '/usr/bin:/bin', WARM_TEST: `secret-${value}` } },
          { cwd: dir, stdout: join(dir, 'environ.out'), stderr: join(dir, 'environ.err') },
          () => [],
          identity,
        );
        expect(await payload.exit).toEqual({ exitCode: 0, signal: null });
        seen.push((await readFile(join(dir, `environ-${value}`, 'environ.txt'), 'utf8')).trim());
      }
      // A spawned cwltool shows its own value; a forked one the warm cwltool's, which has none.
      expect(seen[0]).toMatch(/^(WARM_TEST=secret-first)?$/);
      expect(seen[1]).toMatch(/^(WARM_TEST=secret-second)?$/);
    },
    timeout,
  );

  it(
    "leaves no earlier payload's request in the memory a payload is forked with",
    async () => {
      const marker = `earlier-${process.pid}-${Date.now()}`;
      const first = cwltool(8);
      markWarm(first);
      const earlier = await startPayload(
        { command: first, env: { ...startup, PATH: '/usr/bin:/bin', WARM_TEST: marker } },
        { cwd: dir, stdout: join(dir, 'earlier.out'), stderr: join(dir, 'earlier.err') },
        () => [],
        identity,
      );
      expect((await earlier.exit).exitCode).toBe(1);
      const command = ['/usr/bin/cwltool', '--disable-color', '--no-container', 'sleep.cwl'];
      markWarm(command);
      const payload = await startPayload(
        { command, env: { ...startup, PATH: '/usr/bin:/bin' } },
        { cwd: dir, stdout: join(dir, 'later.out'), stderr: join(dir, 'later.err') },
        () => [],
        identity,
      );
      try {
        for (
          let i = 0;
          i < 300 && !(await readFile(join(dir, 'later.err'), 'utf8')).includes('$ sleep');
          i++
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(await memoryHolds(payload.pid as number, marker)).toBe(false);
      } finally {
        await payload.terminate(1000);
      }
    },
    timeout,
  );

  it(
    'lets a process that used the warm cwltool end once its work is done',
    async () => {
      const script = join(dir, 'ends.mts');
      const module = (name: string) =>
        JSON.stringify(fileURLToPath(new URL(`../../../pilot/wrapper/${name}`, import.meta.url)));
      await writeFile(
        script,
        [
          `import { startPayload } from ${module('payload.ts')};`,
          `import { markWarm } from ${module('warm-cwltool.ts')};`,
          `const command = ${JSON.stringify(cwltool(9))};`,
          'markWarm(command);',
          `const files = ${JSON.stringify({ cwd: dir, stdout: join(dir, 'ends.out'), stderr: join(dir, 'ends.err') })};`,
          `const payload = await startPayload({ command, env: ${JSON.stringify({ ...startup, PATH: '/usr/bin:/bin' })} }, files, () => [], ${JSON.stringify(identity)});`,
          'console.log(JSON.stringify(await payload.exit));',
        ].join('\n'),
      );
      const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
      const { stdout } = await execFileAsync(tsx, [script], { timeout: 60_000 });
      expect(JSON.parse(stdout)).toEqual({ exitCode: 1, signal: null });
      expect((await fields(9))[4]).not.toBe(String(process.pid));
    },
    timeout,
  );

  it(
    "reports cwltool's exit status: 1 when the tool fails",
    async () => {
      const { exit, log } = await run(cwltool(3), true);
      expect(exit).toEqual({ exitCode: 1, signal: null });
      expect(log).toContain('permanentFail');
      expect((await fields(3))[4]).not.toBe(String(process.pid));
    },
    timeout,
  );

  it(
    'spawns cwltool as before for a command the default preProcess did not mark',
    async () => {
      const { exit } = await run(cwltool(4), false);
      expect(exit).toEqual({ exitCode: 1, signal: null });
      expect((await fields(4))[4]).toBe(String(process.pid));
    },
    timeout,
  );

  it(
    'rejects as a spawn would when the payload cannot be set up, and the warm cwltool serves the next',
    async () => {
      const command = cwltool(6);
      markWarm(command);
      const missing = join(dir, 'no-such-dir', 'std.out');
      await expect(
        startPayload(
          { command, env: { ...startup, PATH: '/usr/bin:/bin' } },
          { cwd: dir, stdout: missing, stderr: missing },
        ),
      ).rejects.toMatchObject({ code: 'ENOENT' });
      const { exit } = await run(cwltool(7), true);
      expect(exit).toEqual({ exitCode: 1, signal: null });
      expect((await fields(7))[4]).not.toBe(String(process.pid));
    },
    timeout,
  );

  it(
    'stops a warm payload and its whole process group when terminated',
    async () => {
      const command = ['/usr/bin/cwltool', '--disable-color', '--no-container', 'sleep.cwl'];
      markWarm(command);
      const payload = await startPayload(
        { command, env: { ...startup, PATH: '/usr/bin:/bin' } },
        { cwd: dir, stdout: join(dir, 'sleep.out'), stderr: join(dir, 'sleep.err') },
        () => [],
        identity,
      );
      const pid = payload.pid as number;
      // Wait for the tool to run (cwltool's log names the job), then stop it.
      for (let i = 0; i < 300 && !(await readFile(join(dir, 'sleep.err'), 'utf8')).includes('$ sleep'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const started = Date.now();
      const exit = await payload.terminate(2000);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(exit.exitCode === 0).toBe(false);
      expect(await livingInGroup(pid)).toEqual([]);
    },
    timeout,
  );

  it(
    'falls back to spawning when the warm cwltool cannot start, and says why once',
    async () => {
      // An interpreter that refuses the zygote (`-c`) but runs scripts: the fallback must work.
      const python = join(dir, 'python3');
      await writeFile(
        python,
        '#!/bin/sh\n[ "$1" = -s ] && shift\n[ "$1" = -c ] && exit 7\nexec /usr/bin/python3 "$@"\n',
      );
      const script = join(dir, 'cwltool');
      await writeFile(script, `#!${python}\nimport sys\nfrom cwltool.main import run\nsys.exit(run())\n`);
      await chmod(python, 0o755);
      await chmod(script, 0o755);
      const command = cwltool(5);
      command[0] = script;
      const { exit } = await run(command, true);
      expect(exit).toEqual({ exitCode: 1, signal: null });
      expect((await fields(5))[4]).toBe(String(process.pid));
      expect(takeWarmFailure()).toMatch(/warm cwltool .* is down/);
      expect(takeWarmFailure()).toBeUndefined();
    },
    timeout,
  );

  it.each([true, false])(
    "follows pilot.warmCwltool (%s) for the default preProcess's cwltool command",
    async (warmCwltool) => {
      const who = JSON.parse(await readFile(join(dir, 'who.cwl'), 'utf8'));
      const paths = jobPaths(join(dir, `work-${warmCwltool}`), 1);
      await createJobDirectory(paths);
      const job = matchedJob({ Kind: 'cwl', Workflow: who, Inputs: { code: 0 } });
      const context: PreProcessContext = {
        job,
        workDir: paths.root,
        paths,
        site: 'LOCAL.test.local',
        gridCE: 'test',
        processors: 1,
        config: { ...loadConfigFile('config/muon.yaml').pilot, warmCwltool },
        logger: createLogger({ level: 'error' }),
        cwlDocument: await writeCwlJob(who, { code: 0 }, paths),
        defaults: () => defaultPreProcess(context),
      };
      const prepared = await defaultPreProcess(context);
      if (!isPayloadCommand(prepared)) throw new Error('no command');
      const payload = await startPayload(prepared, {
        cwd: paths.root,
        stdout: paths.stdout,
        stderr: paths.stderr,
      });
      const exit = await payload.exit;
      expect(exit, await readFile(paths.stderr, 'utf8')).toEqual({ exitCode: 0, signal: null });
      const parent = (await readFile(join(paths.cwlOutputs, 'who.txt'), 'utf8')).trim().split(' ')[4];
      expect(parent === String(process.pid)).toBe(!warmCwltool);
    },
    timeout,
  );
});
