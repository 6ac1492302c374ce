/**
 * The pilots of `bench/match.ts`, in a process of their own as real pilots are, so that their HTTP
 * clients do not share the event loop and CPU of the runtime they measure. Forked by match.ts, told
 * the API URL, the pilot token and the pilots' resources, it registers a pool of pilots (each at
 * one site, with its own credential), then runs one phase per message and sends back each
 * request's latency and each match (job id, pilot reference).
 */
import { randomUUID } from 'node:crypto';

/** A pilot's resources: the site it runs at and the tags it offers. */
export type PilotResource = { site: string; tags: string[] };

/** Registered pilots, spread over the sites; each request is made by one of them, at random. */
const poolSize = 256;
type Pilot = { resource: PilotResource; reference: string; headers: Record<string, string> };

export type LoadCommand =
  | { phase: 'setup'; apiUrl: string; token: string; resources: PilotResource[] }
  /** `requests` pilots, one after the other. */
  | { phase: 'warmup'; requests: number }
  /** `pilots` pilots asking back to back for `seconds` (closed loop). */
  | { phase: 'closed'; pilots: number; seconds: number }
  /** `rate` requests per second for `seconds`, latency from each request's scheduled time. */
  | { phase: 'open'; rate: number; seconds: number };

export type Match = { jobId: number; reference: string };
export type LoadReport = {
  phase: LoadCommand['phase'];
  seconds: number;
  latencies: number[];
  matches: Match[];
  /** Requests answered with anything but 200. */
  failed: number;
};

let setup: Extract<LoadCommand, { phase: 'setup' }> | undefined;
let pilots: Pilot[] = [];

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  if (!setup) throw new Error('pilot load: no setup message before the first phase');
  const response = await fetch(`${setup.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${setup.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Registers the pool, a few pilots at a time, each at the computing element of its site. */
async function register(resources: readonly PilotResource[]): Promise<Pilot[]> {
  const pool: Pilot[] = [];
  for (let i = 0; i < poolSize; i += 32) {
    const batch = Array.from({ length: Math.min(32, poolSize - i) }, async (_, k) => {
      const resource = resources[(i + k) % resources.length] as PilotResource;
      const answer = await post('/api/pilots', {
        PilotReference: `bench-pilot-${i + k + 1}`,
        Site: resource.site,
        GridCE: `ce.${resource.site}`,
        Version: 'bench',
      });
      const reference = answer.PilotReference as string;
      const headers = { 'x-muon-pilot': reference, 'x-muon-pilot-secret': answer.Secret as string };
      return { resource, reference, headers };
    });
    pool.push(...(await Promise.all(batch)));
  }
  return pool;
}

async function ask(matches: Match[]): Promise<void> {
  const pilot = pilots[Math.floor(Math.random() * pilots.length)];
  if (!pilot) throw new Error('pilot load: no pilots registered');
  const body = await post(
    '/api/matcher/request',
    {
      Site: pilot.resource.site,
      GridCE: `ce.${pilot.resource.site}`,
      CPUTime: 172_800,
      Tag: pilot.resource.tags,
      // As muon's pilot does: each request named, so that a repeat after a timeout is idempotent.
      ...(process.env.BENCH_REQUEST_ID === '0' ? {} : { RequestID: randomUUID() }),
    },
    pilot.headers,
  );
  const job = body.job as { JobID: number } | undefined;
  if (body.match && job) matches.push({ jobId: job.JobID, reference: pilot.reference });
}

async function run(command: LoadCommand): Promise<LoadReport> {
  const latencies: number[] = [];
  const matches: Match[] = [];
  let failed = 0;
  const started = performance.now();
  // A failed request is counted, not fatal: the report says how many, and such a run is no figure.
  const timed = async (from: number) => {
    try {
      await ask(matches);
      latencies.push(performance.now() - from);
    } catch (error) {
      if (failed === 0) process.stderr.write(`pilot load: ${(error as Error).message}\n`);
      failed += 1;
    }
  };
  switch (command.phase) {
    case 'setup':
      setup = command;
      pilots = await register(command.resources);
      break;
    case 'warmup':
      for (let i = 0; i < command.requests; i += 1) await timed(performance.now());
      break;
    case 'closed': {
      const end = started + command.seconds * 1000;
      await Promise.all(
        Array.from({ length: command.pilots }, async () => {
          while (performance.now() < end) await timed(performance.now());
        }),
      );
      break;
    }
    case 'open': {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < command.rate * command.seconds; i += 1) {
        const due = started + (i * 1000) / command.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sends.push(timed(due));
      }
      await Promise.all(sends);
      break;
    }
  }
  return { phase: command.phase, seconds: (performance.now() - started) / 1000, latencies, matches, failed };
}

process.on('message', (command: LoadCommand) => {
  run(command).then(
    (report) => process.send?.(report),
    (error: unknown) => {
      process.stderr.write(`pilot load: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
});
// The parent is gone or done: nothing left to measure.
process.on('disconnect', () => process.exit(0));
