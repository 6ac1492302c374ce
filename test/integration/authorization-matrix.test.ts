/**
 * Authorization matrix: every HTTP route of shared/resources.ts, called by every kind of caller,
 * answers what the access policy says. The table below IS the policy (DIRAC's JobPolicy as muon
 * implements it: shared/http/caller.ts, shared/jobs/access.ts, shared/pilots/access.ts,
 * shared/sandboxes/access.ts, shared/data/access.ts), written from the policy and not from the
 * code. Each request is a valid one aimed at job X (alice's) or at alice's and X's pilot's
 * resources, so that the status reflects who is calling, not what was sent.
 *
 * The test fails when a route of shared/resources.ts has no row here, or a row names a route that
 * no longer exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functions } from '#shared/resources.ts';
import {
  alterSignature,
  bearer,
  forgePayloadToken,
  type HeldJob,
  matrixConfig,
  otherVo,
  put,
  sandboxInfo,
  submitAndWait,
  takeJob,
  vo,
} from '#test/integration/support/identities.ts';
import { type RegisteredPilot, registerPilot } from '#test/integration/support/pilots.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

/**
 * The callers, one column each:
 * - anon: no Authorization header; bad-sig: alice's token with a signature character changed;
 *   expired: alice's token, expired 10 s ago; forged: a payload token for X signed with a wrong key.
 * - alice: NormalUser in group `user`, owner of X and Y. bob: NormalUser of the same group (no
 *   JobSharing). carol: NormalUser of group `user2` of the same VO. other-vo: a NormalUser called
 *   alice, group `user`, of vo.other.org. admin: JobAdministrator of vo.example.org.
 * - pilot: a GenericPilot token with the credential of the registered pilot holding X and Y.
 *   pilot-2: another registered pilot, bound, holding nothing. unbound: a GenericPilot token without
 *   the pilot headers (a registering pilot). bad-secret: pilot's X-Muon-Pilot, a wrong secret.
 * - payload-X: X's payload token. payload-Y: Y's. Y is alice's too and held by the same pilot, so
 *   that only the job differs from payload-X: a refusal can then come from the job scope alone.
 *   X+headers: X's payload token sent with pilot's X-Muon-Pilot headers (still a payload token).
 *
 * Kill and reschedule are aimed at a fresh X-like job per row (alice's, held by pilot, with its
 * own payload token), so that an allowed call changes nothing the other rows use. Delete is aimed
 * at a fresh Waiting job of alice per row (a Matched or Running job cannot become Deleted, as in
 * DIRAC); such a job has no payload token yet, so the payload columns there present X's.
 */
const matrix = `
route                                     anon bad-sig expired alice bob carol other-vo admin pilot pilot-2 unbound bad-secret payload-X payload-Y X+headers forged
GET /api/health                           200  200     200     200   200 200   200      200   200   200     200     200        200       200       200       200
GET /api/openapi.json                     200  200     200     200   200 200   200      200   200   200     200     200        200       200       200       200
GET /api/docs                             200  200     200     200   200 200   200      200   200   200     200     200        200       200       200       200
GET /api/auth/userinfo                    401  401     401     200   200 200   200      200   200   200     200     200        403       403       403       401
GET /api/auth/client                      200  200     200     200   200 200   200      200   200   200     200     200        200       200       200       200
GET /api/config                           401  401     401     200   200 200   200      200   200   200     200     200        403       403       403       401
PUT /api/config                           401  401     401     403   403 403   403      200   403   403     403     403        403       403       403       401
POST /api/jobs/sandbox                    401  401     401     200   200 200   200      200   403   403     403     403        403       403       403       401
GET /api/jobs/sandbox                     401  401     401     200   403 403   403      200   403   403     403     403        200       403       200       401
GET /api/jobs/{jobId}/sandbox             401  401     401     200   403 403   404      200   403   403     403     403        200       403       200       401
POST /api/jobs/{jobId}/sandbox/output     401  401     401     403   403 403   403      403   403   403     403     403        200       403       200       401
PATCH /api/jobs/{jobId}/sandbox/output    401  401     401     403   403 403   403      403   403   403     403     403        200       403       200       401
POST /api/jobs                            401  401     401     201   201 201   201      201   403   403     403     403        403       403       403       401
POST /api/jobs/jdl                        401  401     401     201   201 201   201      201   403   403     403     403        403       403       403       401
PATCH /api/jobs/status                    401  401     401     403   403 403   404      200   200   403     403     403        200       403       200       401
PATCH /api/jobs/heartbeat                 401  401     401     403   403 403   403      403   200   403     403     403        200       403       200       401
POST /api/jobs/kill                       401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/jobs/delete                     401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/jobs/reschedule                 401  401     401     200   403 403   404      200   200   403     403     403        200       403       200       401
PUT /api/jobs/{jobId}/outputs             401  401     401     403   403 403   403      403   403   403     403     403        204       403       204       401
GET /api/jobs/{jobId}                     401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
GET /api/jobs/{jobId}/outputs             401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
GET /api/jobs/{jobId}/heartbeats          401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/jobs/search                     401  401     401     200   200 200   200      200   403   403     403     403        403       403       403       401
POST /api/jobs/summary                    401  401     401     200   200 200   200      200   403   403     403     403        403       403       403       401
POST /api/matcher/request                 401  401     401     403   403 403   403      403   200   200     403     403        403       403       403       401
GET /api/jobs/{jobId}/matching            401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/jobs/{jobId}/token              401  401     401     403   403 403   403      403   200   403     403     403        403       403       403       401
POST /api/pilots                          401  401     401     403   403 403   403      403   201   201     201     201        403       403       403       401
PATCH /api/pilots/metadata                401  401     401     403   403 403   403      204   204   403     403     403        403       403       403       401
GET /api/pilots/info                      401  401     401     200   403 403   404      200   200   403     403     403        403       403       403       401
POST /api/pilots/search                   401  401     401     200   200 200   200      200   403   403     403     403        403       403       403       401
POST /api/pilots/summary                  401  401     401     200   200 200   200      200   403   403     403     403        403       403       403       401
POST /api/pilots/logs                     401  401     401     403   403 403   403      403   200   403     403     403        403       403       403       401
GET /api/pilots/logs                      401  401     401     200   403 403   404      200   200   403     403     403        403       403       403       401
POST /api/data/upload                     401  401     401     200   403 403   403      200   403   403     403     403        200       403       200       401
POST /api/data/register                   401  401     401     204   403 403   403      204   403   403     403     403        204       403       204       401
GET /api/data/replicas                    401  401     401     200   200 200   403      200   403   403     403     403        200       200       200       401
GET /api/data/download                    401  401     401     200   200 200   403      200   403   403     403     403        200       200       200       401
GET /api/data/list                        401  401     401     200   403 403   403      200   403   403     403     403        403       403       403       401
POST /api/data/metadata                   401  401     401     200   403 403   403      200   403   403     403     403        200       403       200       401
GET /api/data/metadata                    401  401     401     200   200 200   403      200   403   403     403     403        200       200       200       401
POST /api/data/find                       401  401     401     200   200 200   403      200   403   403     403     403        200       200       200       401
POST /api/data/remove                     401  401     401     200   403 403   403      200   403   403     403     403        403       403       403       401
POST /api/transformations                 401  401     401     201   201 201   201      201   403   403     403     403        403       403       403       401
GET /api/transformations/{transformationId} 401 401   401     200   403 403   404      200   403   403     403     403        403       403       403       401
GET /api/transformations/{transformationId}/files 401 401 401 200   403 403   404      200   403   403     403     403        403       403       403       401
GET /api/transformations/{transformationId}/tasks 401 401 401 200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/transformations/{transformationId}/start 401 401 401 200  403 403   404      200   403   403     403     403        403       403       403       401
POST /api/transformations/{transformationId}/stop 401 401 401 200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/transformations/{transformationId}/extend 401 401 401 200 403 403   404      200   403   403     403     403        403       403       403       401
POST /api/transformations/{transformationId}/clean 401 401 401 200  403 403   404      200   403   403     403     403        403       403       403       401
POST /api/productions                     401  401     401     201   201 201   201      201   403   403     403     403        403       403       403       401
GET /api/productions                      401  401     401     200   200 200   200      200   403   403     403     403        403       403       403       401
GET /api/productions/{productionId}       401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/productions/{productionId}/start 401 401   401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/productions/{productionId}/stop 401  401     401     200   403 403   404      200   403   403     403     403        403       403       403       401
POST /api/productions/{productionId}/clean 401 401   401     200   403 403   404      200   403   403     403     403        403       403       403       401
`;
// Why some cells are what they are:
// - the work of a running job (its sandboxes, outputs and data) is done by its job wrapper with
//   the job's payload token; the pilot's own credential is for pilot things (matching, payload
//   tokens, its record and log) and for statuses, heartbeats and reschedules of the jobs it holds.
// - userinfo and POST /api/pilots admit a GenericPilot token without binding it (caller
//   `registeringPilot`), so the pilot headers, right or wrong, do not matter there.
// - another VO's jobs and pilots do not exist for the caller (404) where the route reads them
//   first; sandboxes, LFNs and pilot changes are refused as not theirs (403).
// - replicas and downloads are open to the VO's users and payloads, as DIRAC's catalog; listing is
//   for one's own directory (or an administrator's); writing, for one's own jobs.
// - metadata is read and queried VO-wide (the probe's Path puts other-vo's query in another VO);
//   it is set where one may write, or anywhere by an administrator; removing is for users only.
// - alice may not set her own job's statuses (PATCH /api/jobs/status): only the pilot holding it,
//   its payload, executors and administrators do, or an owner could fake a job's outcome.

/** A two-step production (a generation of one task, then a step taking its files). */
const production = {
  workflow: {
    cwlVersion: 'v1.2',
    class: 'Workflow',
    inputs: {},
    outputs: { out: { type: 'File[]', outputSource: 'use/out' } },
    steps: {
      make: {
        run: {
          class: 'CommandLineTool',
          baseCommand: 'true',
          inputs: {},
          outputs: { out: { type: 'File[]', outputBinding: { glob: '*.txt' } } },
        },
        in: {},
        out: ['out'],
      },
      use: {
        run: {
          class: 'CommandLineTool',
          baseCommand: 'true',
          inputs: { files: 'File[]' },
          outputs: { out: { type: 'File[]', outputBinding: { glob: '*.txt' } } },
        },
        in: { files: 'make/out' },
        out: ['out'],
      },
    },
  },
  steps: { make: { tasks: 1, type: 'DataProcessing' } },
};

const identities = [
  'anon',
  'bad-sig',
  'expired',
  'alice',
  'bob',
  'carol',
  'other-vo',
  'admin',
  'pilot',
  'pilot-2',
  'unbound',
  'bad-secret',
  'payload-X',
  'payload-Y',
  'X+headers',
  'forged',
] as const;
type IdentityName = (typeof identities)[number];

interface Row {
  readonly route: string;
  readonly identity: IdentityName;
  readonly status: number;
}

function parseMatrix(text: string): Row[] {
  const [header, ...lines] = text.trim().split('\n');
  const columns = (header ?? '').trim().split(/\s+/).slice(1);
  if (columns.join(' ') !== identities.join(' '))
    throw new Error(`the matrix's columns are not ${identities}`);
  return lines.flatMap((line) => {
    const [method, path, ...cells] = line.trim().split(/\s+/);
    if (cells.length !== identities.length) throw new Error(`not one cell per caller: ${line}`);
    return identities.map((identity, i) => ({
      route: `${method} ${path}`,
      identity,
      status: Number(cells[i]),
    }));
  });
}

const rows = parseMatrix(matrix);
const routesInTable = [...new Set(rows.map((row) => row.route))];
const declaredRoutes = Object.values(functions).flatMap((fn) => [...fn.routes]);
/** Routes whose allowed call changes the job for good: each row gets a fresh job. */
const destructive = new Set([
  'POST /api/jobs/kill',
  'POST /api/jobs/delete',
  'POST /api/jobs/reschedule',
  'POST /api/data/remove',
]);
/** Of those, the routes whose fresh job stays Waiting rather than held by pilot. */
const onWaitingJob = new Set(['POST /api/jobs/delete']);

const home = `/${vo}/user/a/alice`;
const lfn = `${home}/authz/x.txt`;
const lfnText = 'matrix';
const cwl = {
  cwlVersion: 'v1.2',
  class: 'CommandLineTool',
  baseCommand: 'true',
  inputs: {},
  outputs: {},
};

describe('Authorization matrix', () => {
  let runtime: TestRuntime;
  let pilot: RegisteredPilot;
  let pilot2: RegisteredPilot;
  let x: HeldJob;
  let y: HeldJob;
  /** Fresh X-like jobs of the destructive rows, by `<route> as <identity>`. */
  const fresh = new Map<string, HeldJob>();
  let inputSandbox: string;
  let outputSandbox: string;
  let lfnPfn: string;
  const tokens: Partial<Record<'bob' | 'carol' | 'other-vo' | 'expired', string>> = {};
  /** Alice's transformations: one the rows read and change, one the clean row cleans. */
  const transformations = { used: 0, cleaned: 0 };
  /** Alice's productions, likewise. */
  const productions = { used: 0, cleaned: 0 };
  /** Forged payload tokens, by the job they claim. */
  const forged = new Map<number, string>();
  /** A token made in beforeAll; a missing one is the test's mistake, not a 401 to expect. */
  const made = (token: string | undefined) => {
    if (token === undefined) throw new Error('a token of the matrix was not made');
    return bearer(token);
  };

  function headersOf(identity: IdentityName, target: HeldJob): Record<string, string> {
    const alice = runtime.tokens.user;
    const pilotToken = runtime.tokens.pilot;
    switch (identity) {
      case 'anon':
        return {};
      case 'bad-sig':
        return bearer(alterSignature(alice));
      case 'alice':
        return bearer(alice);
      case 'admin':
        return bearer(runtime.tokens.admin);
      case 'expired':
      case 'bob':
      case 'carol':
      case 'other-vo':
        return made(tokens[identity]);
      case 'pilot':
        return { ...bearer(pilotToken), ...pilot.headers };
      case 'pilot-2':
        return { ...bearer(pilotToken), ...pilot2.headers };
      case 'unbound':
        return bearer(pilotToken);
      case 'bad-secret':
        return {
          ...bearer(pilotToken),
          'x-muon-pilot': pilot.reference,
          'x-muon-pilot-secret': '0'.repeat(64),
        };
      case 'payload-X':
        return bearer(target.payloadToken);
      case 'payload-Y':
        return bearer(y.payloadToken);
      case 'X+headers':
        return { ...bearer(target.payloadToken), ...pilot.headers };
      case 'forged':
        return made(forged.get(target.jobId));
    }
  }

  /** A valid request of each route, aimed at `target` (job X, or a fresh one) and alice's resources. */
  function probe(route: string, target: HeldJob): { query?: Record<string, string>; body?: unknown } {
    const jobId = String(target.jobId);
    const probes: Record<string, () => { query?: Record<string, string>; body?: unknown }> = {
      'GET /api/health': () => ({}),
      'GET /api/openapi.json': () => ({}),
      'GET /api/docs': () => ({}),
      'GET /api/auth/userinfo': () => ({}),
      'GET /api/auth/client': () => ({}),
      'GET /api/config': () => ({}),
      // The configuration the runtime runs with: a CSAdministrator's push changes nothing else here.
      'PUT /api/config': () => ({ body: runtime.deps.config }),
      'POST /api/jobs/sandbox': () => ({ body: sandboxInfo('a new input sandbox') }),
      'GET /api/jobs/sandbox': () => ({ query: { pfn: inputSandbox } }),
      'GET /api/jobs/{jobId}/sandbox': () => ({}),
      'POST /api/jobs/{jobId}/sandbox/output': () => ({ body: sandboxInfo('another output sandbox') }),
      'PATCH /api/jobs/{jobId}/sandbox/output': () => ({ body: outputSandbox }),
      'POST /api/jobs': () => ({ body: { workflow: cwl } }),
      'POST /api/jobs/jdl': () => ({ body: ['Executable = "true";'] }),
      // MinorStatus and ApplicationStatus only: the job stays where it is, whoever succeeds.
      'PATCH /api/jobs/status': () => ({
        body: {
          [jobId]: { [new Date().toISOString()]: { MinorStatus: 'probe', ApplicationStatus: 'probe' } },
        },
      }),
      'PATCH /api/jobs/heartbeat': () => ({ body: { [jobId]: { CPUConsumed: 1 } } }),
      'POST /api/jobs/kill': () => ({ body: { job_ids: [target.jobId] } }),
      'POST /api/jobs/delete': () => ({ body: { job_ids: [target.jobId] } }),
      'POST /api/jobs/reschedule': () => ({ body: { job_ids: [target.jobId] } }),
      'PUT /api/jobs/{jobId}/outputs': () => ({ body: { MissingFiles: [] } }),
      'GET /api/jobs/{jobId}': () => ({}),
      'GET /api/jobs/{jobId}/outputs': () => ({}),
      'GET /api/jobs/{jobId}/heartbeats': () => ({}),
      'POST /api/jobs/search': () => ({
        body: { search: [{ parameter: 'JobID', operator: 'eq', value: target.jobId }] },
      }),
      'POST /api/jobs/summary': () => ({ body: { grouping: ['Status'] } }),
      // This one job, which is not Waiting: an allowed pilot is answered "no match", nothing moves.
      'POST /api/matcher/request': () => ({ body: { CPUTime: 1_000_000, JobID: target.jobId } }),
      'GET /api/jobs/{jobId}/matching': () => ({}),
      'POST /api/jobs/{jobId}/token': () => ({}),
      'POST /api/pilots': () => ({
        body: { Site: 'LOCAL.localhost.local', GridCE: 'localhost', Version: 'matrix' },
      }),
      // Running stays Running: an allowed call does not end the pilot's credential.
      'PATCH /api/pilots/metadata': () => ({
        body: { PilotReference: pilot.reference, Status: 'Running', StatusReason: 'probe' },
      }),
      'GET /api/pilots/info': () => ({ query: { reference: pilot.reference } }),
      'POST /api/pilots/search': () => ({
        body: { search: [{ parameter: 'Site', operator: 'eq', value: 'LOCAL.localhost.local' }] },
      }),
      'POST /api/pilots/summary': () => ({ body: { grouping: ['Status'] } }),
      'POST /api/pilots/logs': () => ({ body: { PilotReference: pilot.reference, Size: 10 } }),
      'GET /api/pilots/logs': () => ({ query: { reference: pilot.reference } }),
      'POST /api/data/upload': () => ({
        body: { LFN: lfn, SE: 'LOCAL-DISK', Size: lfnText.length, JobID: target.jobId },
      }),
      'POST /api/data/register': () => ({
        body: {
          LFN: lfn,
          SE: 'LOCAL-DISK',
          PFN: lfnPfn,
          Size: lfnText.length,
          Checksum: 'adler32:0a1b2c3d',
          JobID: target.jobId,
        },
      }),
      'GET /api/data/replicas': () => ({ query: { lfn } }),
      'GET /api/data/download': () => ({ query: { lfn } }),
      'GET /api/data/list': () => ({ query: { path: `${home}/authz` } }),
      'POST /api/data/metadata': () => ({
        body: { Path: lfn, Metadata: { authz: 1 }, JobID: target.jobId },
      }),
      'GET /api/data/metadata': () => ({ query: { path: lfn } }),
      'POST /api/data/find': () => ({ body: { Query: 'authz>=0', Path: `${home}/authz` } }),
      // Each row removes a file of its own (its fresh job's number names it).
      // Alice's generation transformation; start, stop and clean of one already there change nothing.
      'POST /api/transformations': () => ({ body: { name: 'authz', cwl, tasks: 1, groupSize: 1 } }),
      'GET /api/transformations/{transformationId}': () => ({}),
      'GET /api/transformations/{transformationId}/files': () => ({}),
      'GET /api/transformations/{transformationId}/tasks': () => ({}),
      'POST /api/transformations/{transformationId}/start': () => ({}),
      'POST /api/transformations/{transformationId}/stop': () => ({}),
      'POST /api/transformations/{transformationId}/extend': () => ({ body: { tasks: 1 } }),
      'POST /api/transformations/{transformationId}/clean': () => ({}),
      'POST /api/productions': () => ({ body: production }),
      'GET /api/productions': () => ({}),
      'GET /api/productions/{productionId}': () => ({}),
      'POST /api/productions/{productionId}/start': () => ({}),
      'POST /api/productions/{productionId}/stop': () => ({}),
      'POST /api/productions/{productionId}/clean': () => ({}),
      'POST /api/data/remove': () => ({ body: { LFN: `${home}/authz/remove-${target.jobId}.txt` } }),
    };
    const make = probes[route];
    if (!make) throw new Error(`no request is written for ${route}`);
    return make();
  }

  async function call(route: string, identity: IdentityName, target: HeldJob): Promise<Response> {
    const [method, template = ''] = route.split(' ');
    const { query, body } = probe(route, target);
    // Cleaning is for good: its row has a transformation of its own.
    const transformation = route.endsWith('/clean') ? transformations.cleaned : transformations.used;
    const production = route.endsWith('/clean') ? productions.cleaned : productions.used;
    const path = template
      .replace('{jobId}', String(target.jobId))
      .replace('{transformationId}', String(transformation))
      .replace('{productionId}', String(production));
    const search = query ? `?${new URLSearchParams(query)}` : '';
    return fetch(`${runtime.apiUrl}${path}${search}`, {
      method: method ?? 'GET',
      headers: {
        ...headersOf(identity, target),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  beforeAll(async () => {
    runtime = await startTestRuntime({ config: matrixConfig() });
    const sign = runtime.authority.sign;
    tokens.bob = await sign({ vo, username: 'bob', group: 'user', properties: ['NormalUser'] });
    tokens.carol = await sign({ vo, username: 'carol', group: 'user2', properties: ['NormalUser'] });
    tokens['other-vo'] = await sign({
      vo: otherVo,
      username: 'alice',
      group: 'user',
      properties: ['NormalUser'],
    });
    tokens.expired = await sign({ vo, username: 'alice', group: 'user', properties: ['NormalUser'] }, -10);
    pilot = await registerPilot(runtime);
    pilot2 = await registerPilot(runtime);
    for (const which of ['used', 'cleaned'] as const) {
      const made = await runtime.api('/api/transformations', {
        method: 'POST',
        json: { name: `authz ${which}`, cwl, tasks: 1, groupSize: 1 },
      });
      expect(made.status, await made.clone().text()).toBe(201);
      transformations[which] = (await bodyOf(made)).transformationId as number;
    }
    for (const which of ['used', 'cleaned'] as const) {
      const made = await runtime.api('/api/productions', { method: 'POST', json: production });
      expect(made.status, await made.clone().text()).toBe(201);
      productions[which] = Number((await bodyOf(made)).productionId);
    }

    // X's input sandbox, uploaded by alice.
    const sandboxBytes = 'the input sandbox of X';
    const upload = await bodyOf(
      await runtime.api('/api/jobs/sandbox', { method: 'POST', json: sandboxInfo(sandboxBytes) }),
    );
    await put(upload, sandboxBytes);
    inputSandbox = upload.pfn as string;

    // X (with the sandbox), Y (without: payload-Y must not read X's sandbox by assignment), and
    // one fresh job per destructive row.
    const destructiveRows = rows.filter((row) => destructive.has(row.route));
    const [xId, yId, ...freshIds] = await submitAndWait(runtime, [
      `Executable = "true"; JobName = "X"; InputSandbox = {"${inputSandbox}"};`,
      'Executable = "true"; JobName = "Y";',
      ...destructiveRows.map((row) => `Executable = "true"; JobName = "${row.route} as ${row.identity}";`),
    ]);
    x = await takeJob(runtime, pilot, xId as number);
    y = await takeJob(runtime, pilot, yId as number);
    for (const [i, row] of destructiveRows.entries()) {
      const jobId = freshIds[i] as number;
      const held = onWaitingJob.has(row.route)
        ? { jobId, payloadToken: x.payloadToken }
        : await takeJob(runtime, pilot, jobId);
      fresh.set(`${row.route} as ${row.identity}`, held);
    }
    const audience = runtime.deps.config.auth.audience[0] as string;
    for (const held of [x, ...fresh.values()]) {
      forged.set(
        held.jobId,
        await forgePayloadToken({
          jobId: held.jobId,
          pilotReference: pilot.reference,
          owner: 'alice',
          ownerGroup: 'user',
          audience,
        }),
      );
    }

    // What the readers' rows read: X's output sandbox and a replica of X's output (written as X's
    // job wrapper writes them, with X's payload token), and the pilot's log.
    const asPilot = { as: 'pilot' as const, headers: pilot.headers };
    const asPayloadX = { as: 'none' as const, headers: bearer(x.payloadToken) };
    const outputBytes = 'the output sandbox of X';
    const output = await bodyOf(
      await runtime.api(`/api/jobs/${x.jobId}/sandbox/output`, {
        method: 'POST',
        json: sandboxInfo(outputBytes),
        ...asPayloadX,
      }),
    );
    await put(output, outputBytes);
    outputSandbox = output.pfn as string;
    const target = await bodyOf(
      await runtime.api('/api/data/upload', {
        method: 'POST',
        json: { LFN: lfn, SE: 'LOCAL-DISK', Size: lfnText.length, JobID: x.jobId },
        ...asPayloadX,
      }),
    );
    await put(target, lfnText);
    lfnPfn = target.pfn as string;
    const registered = await runtime.api('/api/data/register', {
      method: 'POST',
      json: {
        LFN: lfn,
        SE: 'LOCAL-DISK',
        PFN: lfnPfn,
        Size: lfnText.length,
        Checksum: 'adler32:0a1b2c3d',
        JobID: x.jobId,
      },
      ...asPayloadX,
    });
    expect(registered.status, await registered.text()).toBe(204);
    for (const [row, held] of fresh) {
      if (!row.startsWith('POST /api/data/remove ')) continue;
      const removable = `${home}/authz/remove-${held.jobId}.txt`;
      const at = await bodyOf(
        await runtime.api('/api/data/upload', {
          method: 'POST',
          json: { LFN: removable, SE: 'LOCAL-DISK', Size: lfnText.length },
        }),
      );
      await put(at, lfnText);
      const stored = await runtime.api('/api/data/register', {
        method: 'POST',
        json: {
          LFN: removable,
          SE: 'LOCAL-DISK',
          PFN: at.pfn,
          Size: lfnText.length,
          Checksum: 'adler32:0a1b2c3d',
        },
      });
      expect(stored.status, await stored.text()).toBe(204);
    }
    const log = await bodyOf(
      await runtime.api('/api/pilots/logs', {
        method: 'POST',
        json: { PilotReference: pilot.reference, Size: 10 },
        ...asPilot,
      }),
    );
    await put(log, 'pilot log!');
  });
  afterAll(() => runtime?.stop());

  it('has one row for every route of shared/resources.ts, and none for a route that is gone', () => {
    expect([...routesInTable].sort()).toEqual([...declaredRoutes].sort());
  });

  // The payload columns above use live tokens; a token dies with its job's hold on the pilot.
  it.each([
    ['killed', 'POST /api/jobs/kill', /is Killed/],
    ['rescheduled', 'POST /api/jobs/reschedule', /no longer held/],
  ] as const)('refuses a payload token once its job is %s', async (_, route, reason) => {
    const [jobId] = await submitAndWait(runtime, ['Executable = "true"; JobName = "Z";']);
    const z = await takeJob(runtime, pilot, jobId as number);
    // A read, which any status allows: only the token's liveness decides.
    const read = () => call('GET /api/jobs/{jobId}/sandbox', 'payload-X', z);
    expect((await read()).status).toBe(200);
    expect((await call(route, 'alice', z)).status).toBe(200);
    const refused = await read();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(reason);
  });

  // A search answers 200 to every user; what it shows is the policy: only whose jobs they may read.
  it.each([
    ['alice', true],
    ['bob', false],
    ['carol', false],
    ['other-vo', false],
    ['admin', true],
  ] as const)('POST /api/jobs/search as %s finds X: %s', async (identity, finds) => {
    const response = await call('POST /api/jobs/search', identity, x);
    const found = ((await response.json()) as { JobID: number }[]).map((job) => job.JobID);
    expect(found).toEqual(finds ? [x.jobId] : []);
  });

  it.each(rows)('$route as $identity → $status', async ({ route, identity, status }) => {
    const target = destructive.has(route) ? fresh.get(`${route} as ${identity}`) : x;
    if (!target) throw new Error(`no job for ${route} as ${identity}`);
    const response = await call(route, identity, target);
    expect(response.status, `${route} as ${identity}: ${await response.text()}`).toBe(status);
  });
});
