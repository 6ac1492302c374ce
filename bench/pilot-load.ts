/**
 * The pilots of `bench/match.ts`, in a process of their own as real pilots are, so that their HTTP
 * clients do not share the event loop and CPU of the runtime they measure. Forked by match.ts, told
 * the API URL, the pilot token and the pilots' resources, it runs one phase per message and sends
 * back each request's latency and each match (job id, pilot reference).
 */

/** A pilot's resources: the site it runs at and the tags it offers. */
export type PilotResource = { site: string; tags: string[] };

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
};

let setup: Extract<LoadCommand, { phase: 'setup' }> | undefined;
let sequence = 0;

async function ask(matches: Match[]): Promise<void> {
  if (!setup) throw new Error('pilot load: no setup message before the first phase');
  const resource = setup.resources[Math.floor(Math.random() * setup.resources.length)] as PilotResource;
  const reference = `bench-pilot-${++sequence}`;
  const response = await fetch(`${setup.apiUrl}/api/matcher/request`, {
    method: 'POST',
    headers: { authorization: `Bearer ${setup.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      Site: resource.site,
      GridCE: `ce.${resource.site}`,
      CPUTime: 172_800,
      Tag: resource.tags,
      PilotReference: reference,
    }),
  });
  const body = (await response.json()) as { match?: boolean; job?: { JobID: number } };
  if (response.status !== 200)
    throw new Error(`matcher answered ${response.status}: ${JSON.stringify(body)}`);
  if (body.match && body.job) matches.push({ jobId: body.job.JobID, reference });
}

async function run(command: LoadCommand): Promise<LoadReport> {
  const latencies: number[] = [];
  const matches: Match[] = [];
  const started = performance.now();
  const timed = async (from: number) => {
    await ask(matches);
    latencies.push(performance.now() - from);
  };
  switch (command.phase) {
    case 'setup':
      setup = command;
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
  return { phase: command.phase, seconds: (performance.now() - started) / 1000, latencies, matches };
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
