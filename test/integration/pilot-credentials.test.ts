/**
 * Payloads as attackers: real jobs (a JDL executable and a CWL tool) on a real local pilot try to
 * steal their pilot's credentials the ways a payload can (docs/security.md): every ancestor's
 * `/proc/<pid>/environ`, `cmdline` and memory, the credentials file the pilot was started with,
 * the pilot's files, and a signal to the pilot. They find no credential. Then a payload token is
 * used where it does not belong (another job, the matcher, pilot registration) and is refused.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MuonConfig } from '#shared/config/schema.ts';
import { bearer, submitAndWait, takeJob } from '#test/integration/support/identities.ts';
import {
  hasStatus,
  jobIdsOf,
  payloadScratch,
  submitJdl,
  waitForJob,
} from '#test/integration/support/jobs.ts';
import { registerPilot } from '#test/integration/support/pilots.ts';
import { startTestRuntime, type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

const scratch = payloadScratch('muon-payload-attacks-');
const reports = join(scratch, 'reports');
mkdirSync(reports, { mode: 0o1777 });
chmodSync(reports, 0o1777);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The attack: walks up its ancestors and tries everything a payload could, writing what it got. */
const attack = join(scratch, 'attack.py');
writeFileSync(
  attack,
  `#!/usr/bin/python3
import os, re, sys
out = ["uid=%d gid=%d" % (os.getuid(), os.getgid())]
out += ["ENV %s=%s" % kv for kv in os.environ.items()]
def attempt(label, fn):
    try:
        out.append("READ %s: %s" % (label, fn()))
    except Exception as error:
        out.append("DENIED %s: %s" % (label, type(error).__name__))
def text(path):
    with open(path, "rb") as f:
        return f.read().decode("latin1").replace("\\0", "\\n")
def memory(pid):
    chunks = []
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb") as mem:
        for line in maps:
            fields = line.split()
            if fields[1].startswith("rw") and (len(fields) < 6 or fields[5] == "[heap]"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                try:
                    mem.seek(start)
                    chunks.append(mem.read(min(end - start, 4 << 20)))
                except OSError:
                    pass
    return b"".join(chunks).decode("latin1")
def files_named(cmdline):
    args = cmdline.split("\\n")
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--credentials-file"]
pid = os.getppid()
while pid > 1:
    out.append("== ancestor %d" % pid)
    attempt("%d environ" % pid, lambda: text("/proc/%d/environ" % pid))
    attempt("%d cmdline" % pid, lambda: text("/proc/%d/cmdline" % pid).replace("\\n", " "))
    attempt("%d mem" % pid, lambda: memory(pid))
    attempt("%d signal" % pid, lambda: (os.kill(pid, 0), "allowed")[1])
    try:
        for path in files_named(text("/proc/%d/cmdline" % pid)):
            attempt("credentials file " + path, lambda: text(path))
    except OSError:
        pass
    try:
        pid = int(re.search(r"PPid:\\s+(\\d+)", text("/proc/%d/status" % pid)).group(1))
    except Exception:
        break
here = os.getcwd()
for up in (os.path.dirname(here), os.path.dirname(os.path.dirname(here))):
    attempt("list " + up, lambda: " ".join(os.listdir(up)))
    attempt("read " + up + "/pilot.log", lambda: text(up + "/pilot.log"))
with open(os.path.join(${JSON.stringify(reports)}, sys.argv[1]), "w") as f:
    f.write("\\n".join(out))
`,
  { mode: 0o755 },
);

const cwlTool = {
  cwlVersion: 'v1.2',
  class: 'CommandLineTool',
  baseCommand: [attack],
  inputs: { name: { type: 'string', inputBinding: { position: 1 } } },
  outputs: {},
};

function config(): MuonConfig {
  const settings = testConfig();
  settings.pilot = { ...settings.pilot, pollSeconds: 0.3, maxPollSeconds: 0.5, heartbeatSeconds: 0.5 };
  return settings;
}

/** Any JWT (a pilot token, a payload token, a user token) anywhere in what the payload got. */
const jwt = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

describe('Payloads trying to act as their pilot', () => {
  let runtime: TestRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({
      config: config(),
      scheduleEveryMs: 500,
      pilots: { idleStopSeconds: 2 },
    });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  async function runAttack(kind: 'jdl' | 'cwl'): Promise<string> {
    const name = `report-${kind}`;
    let jobId: number | undefined;
    if (kind === 'jdl') {
      [jobId] = await jobIdsOf(
        await submitJdl(runtime, [`Executable = "${attack}"; Arguments = "${name}";`]),
      );
    } else {
      const response = await runtime.api('/api/jobs', {
        method: 'POST',
        json: { workflow: cwlTool, inputs: [{ name }] },
      });
      [jobId] = await jobIdsOf({ status: response.status, body: await response.json() });
    }
    await waitForJob(runtime, jobId as number, hasStatus('Done'), 60_000);
    return readFileSync(join(reports, name), 'utf8');
  }

  it.each(['jdl', 'cwl'] as const)(
    'a %s payload finds no credential of its pilot',
    async (kind) => {
      if (!existsSync('/proc/self/environ')) return;
      const report = await runAttack(kind);
      expect(report).toContain('== ancestor');
      expect(report).not.toMatch(jwt);
      expect(report).not.toContain(runtime.tokens.pilot);
      expect(report).not.toMatch(/^ENV (MUON_|AWS_)/m);
      expect(report).not.toMatch(/"(clientSecret|token)"\s*:/);
      // The credentials file a pilot was started with is gone before any payload runs.
      expect(report).not.toMatch(/^READ credentials file/m);
      if (process.getuid?.() === 0) {
        // A root pilot's payload is another user: it reads no process of the pilot's, nor its
        // files, nor may it signal it (pilot/wrapper/isolation.ts).
        expect(report).not.toMatch(/^uid=0 /);
        const pilotPid = /^READ (\d+) cmdline: .* pilot .*--credentials-file/m.exec(report)?.[1];
        expect(pilotPid, 'the pilot among the payload’s ancestors').toBeDefined();
        for (const what of ['environ', 'mem', 'signal']) {
          expect(report).toMatch(new RegExp(`^DENIED ${pilotPid} ${what}:`, 'm'));
        }
        expect(report).not.toMatch(/^READ read .*pilot\.log/m);
        // A JDL payload runs in its job directory, right under the pilot's work root.
        if (kind === 'jdl') expect(report).toMatch(/^DENIED list [^:]*muon-pilot-\w+:/m);
        expect(report).not.toMatch(/^READ list [^:]*muon-pilot-\w+:/m);
      }
    },
    120_000,
  );

  it('refuses a payload token against another job, the matcher and pilot registration', async () => {
    // This test's own pilot takes the jobs: the runtime's pilots (woken by new jobs) stop first.
    await runtime.pilots?.stop({ force: true });
    const pilot = await registerPilot(runtime, { reference: 'attack://pilot/1' });
    const [x, y] = await submitAndWait(runtime, ['Executable = "/bin/true";', 'Executable = "/bin/true";']);
    const held = await takeJob(runtime, pilot, x as number);
    await takeJob(runtime, pilot, y as number);
    const as = { as: 'none' as const, headers: bearer(held.payloadToken) };

    const otherJob = await runtime.api(`/api/jobs/${y}/sandbox`, as);
    expect(otherJob.status).toBe(403);
    const otherOutputs = await runtime.api(`/api/jobs/${y}/outputs`, { ...as, method: 'PUT', json: {} });
    expect(otherOutputs.status).toBe(403);
    const matcher = await runtime.api('/api/matcher/request', {
      ...as,
      method: 'POST',
      json: { CPUTime: 1000 },
    });
    expect(matcher.status).toBe(403);
    expect(((await matcher.json()) as { detail: string }).detail).toMatch(/payload token may not call/);
    const registration = await runtime.api('/api/pilots', {
      ...as,
      method: 'POST',
      json: { Site: 'LOCAL.localhost.local', GridCE: 'localhost', Version: 'x' },
    });
    expect(registration.status).toBe(403);
    // With the pilot's headers beside it, a payload token is still only a payload token.
    const withHeaders = await runtime.api('/api/matcher/request', {
      as: 'none',
      method: 'POST',
      headers: { ...bearer(held.payloadToken), ...pilot.headers },
      json: { CPUTime: 1000 },
    });
    expect(withHeaders.status).toBe(403);
    // Its own job: allowed while the job runs, refused once it is final.
    expect((await runtime.api(`/api/jobs/${x}/sandbox`, as)).status).toBe(200);
    await runtime.api('/api/jobs/kill', { method: 'POST', as: 'admin', json: { job_ids: [x] } });
    const afterKill = await runtime.api(`/api/jobs/${x}/sandbox`, as);
    expect(afterKill.status).toBe(403);
    expect(((await afterKill.json()) as { detail: string }).detail).toMatch(/no longer works/);
    // The routes that check the token on their own read of the job refuse it the same way.
    const info = { checksum_algorithm: 'sha256', checksum: 'a'.repeat(64), size: 10, format: 'tar.gz' };
    for (const [path, method, json] of [
      [
        '/api/jobs/status',
        'PATCH',
        { [String(x)]: { [new Date().toISOString()]: { MinorStatus: 'Application', Source: 'JobWrapper' } } },
      ],
      [`/api/jobs/${x}/outputs`, 'PUT', {}],
      [`/api/jobs/${x}/sandbox/output`, 'POST', info],
      [
        `/api/jobs/${x}/sandbox/output`,
        'PATCH',
        `SB:SandboxSE|/S3/b/sandboxes/v/g/u/sha256:${'a'.repeat(64)}.tar.gz`,
      ],
    ] as const) {
      const refused = await runtime.api(path, { ...as, method, json });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(/is Killed: its payload token/);
    }
  }, 60_000);
});
