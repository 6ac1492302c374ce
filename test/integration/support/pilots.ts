/** Helpers for tests that act as a pilot: registration, and the credential headers of later calls. */
import type { TestRuntime } from '#test/integration/support/runtime.ts';

export interface RegisteredPilot {
  readonly reference: string;
  readonly secret: string;
  /** `X-Muon-Pilot` and `X-Muon-Pilot-Secret`, to send with every call the pilot makes. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Registers a pilot with the development pilot token (at the configuration's local CE by default). */
export async function registerPilot(
  runtime: TestRuntime,
  options: { site?: string; gridCE?: string; reference?: string } = {},
): Promise<RegisteredPilot> {
  const response = await runtime.api('/api/pilots', {
    method: 'POST',
    as: 'pilot',
    json: {
      Site: options.site ?? 'LOCAL.localhost.local',
      GridCE: options.gridCE ?? 'localhost',
      ...(options.reference !== undefined ? { PilotReference: options.reference } : {}),
      Version: 'test',
    },
  });
  const body = (await response.json()) as { PilotReference: string; Secret: string };
  if (response.status !== 201)
    throw new Error(`pilot registration failed: ${response.status} ${JSON.stringify(body)}`);
  return {
    reference: body.PilotReference,
    secret: body.Secret,
    headers: { 'x-muon-pilot': body.PilotReference, 'x-muon-pilot-secret': body.Secret },
  };
}

/** `runtime.api` options of a call made by `pilot`. */
export const asPilot = (pilot: RegisteredPilot) => ({ as: 'pilot' as const, headers: { ...pilot.headers } });

/** Has the matcher hand job `jobId` (Waiting) to `pilot` at `site`; fails when it does not. */
export async function matchJob(
  runtime: TestRuntime,
  pilot: RegisteredPilot,
  jobId: number,
  site = 'LOCAL.localhost.local',
): Promise<void> {
  const response = await runtime.api('/api/matcher/request', {
    method: 'POST',
    ...asPilot(pilot),
    json: { Site: site, CPUTime: 1_000_000, JobID: jobId },
  });
  const answer = (await response.json()) as { match?: boolean };
  if (answer.match !== true) throw new Error(`job ${jobId} was not matched: ${JSON.stringify(answer)}`);
}

/**
 * `pilot` reports `jobIds` Running in one status batch, as its reporter does each period; the
 * pilot's first report on a job is what lists the job (and its owner) on the pilot's record.
 */
export async function reportRunning(
  runtime: TestRuntime,
  pilot: RegisteredPilot,
  jobIds: readonly number[],
): Promise<void> {
  const time = new Date().toISOString();
  const json = Object.fromEntries(
    jobIds.map((id) => [id, { [time]: { Status: 'Running', Source: 'JobWrapper' } }]),
  );
  const response = await runtime.api('/api/jobs/status', { method: 'PATCH', json, ...asPilot(pilot) });
  if (response.status !== 200) throw new Error(`reporting ${jobIds} Running failed: ${response.status}`);
}
