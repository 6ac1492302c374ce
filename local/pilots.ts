/**
 * The local runtime's pilots: one per Local computing element of the configuration, with the
 * element's processors and memory, run in this process (`startPilot`), so that submitted jobs run
 * with nothing else to start. A pilot that stops (idle, or crashed) is started again after a short
 * pause. `stop()` drains them before the API and the emulators stop. A later SiteDirector replaces
 * this with pilots started on demand.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WrapperFactory } from '#pilot/job-agent.ts';
import { type RunningPilot, startPilot } from '#pilot/pilot.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger } from '#shared/log.ts';

export interface LocalPilotsOptions {
  readonly config: MuonConfig;
  readonly configDir: string;
  readonly apiUrl: string;
  /** A GenericPilot token. */
  readonly token: string;
  /** Each pilot works in `<home>/pilots/<site>/<ce>/` (its log is `pilot.log` there). */
  readonly home: string;
  readonly logger: Logger;
  /** Pause before a stopped pilot is started again. */
  readonly restartSeconds?: number;
  /** Replaces `pilot.idleStopSeconds` (tests). */
  readonly idleStopSeconds?: number;
  /** Replaces the job wrapper (tests). */
  readonly startWrapper?: WrapperFactory;
}

export interface LocalPilots {
  /** The pilots running now, by `<site>/<ce>`. */
  readonly current: ReadonlyMap<string, RunningPilot>;
  /** Stops every pilot (running jobs get `pilot.graceSeconds`; `force` interrupts them at once). */
  stop(options?: { force?: boolean }): Promise<void>;
}

export function startLocalPilots(options: LocalPilotsOptions): LocalPilots {
  const { config, logger } = options;
  const current = new Map<string, RunningPilot>();
  const stopping = new AbortController();
  const elements = Object.entries(config.sites).flatMap(([site, siteConfig]) =>
    Object.entries(siteConfig.computingElements)
      .filter(([, ce]) => ce.type === 'Local')
      .map(([gridCE, ce]) => ({ site, gridCE, ce })),
  );

  const keep = async ({ site, gridCE, ce }: (typeof elements)[number]) => {
    const name = `${site}/${gridCE}`;
    const workDir = join(options.home, 'pilots', site, gridCE);
    while (!stopping.signal.aborted) {
      mkdirSync(workDir, { recursive: true });
      const pilot = startPilot({
        config,
        configDir: options.configDir,
        apiUrl: options.apiUrl,
        token: options.token,
        site,
        ce: gridCE,
        resources: { cores: ce.processors, ...(ce.memoryMb !== undefined ? { memoryMb: ce.memoryMb } : {}) },
        workDir,
        ...(options.idleStopSeconds !== undefined ? { idleStopSeconds: options.idleStopSeconds } : {}),
        ...(options.startWrapper ? { startWrapper: options.startWrapper } : {}),
      });
      current.set(name, pilot);
      pilot.reference.then(
        (reference) => logger.info('local pilot started', { computingElement: name, reference, workDir }),
        () => undefined,
      );
      let pause = options.restartSeconds ?? 2;
      try {
        await pilot.done;
        logger.info('local pilot ended', { computingElement: name });
      } catch (error) {
        logger.error('local pilot failed', { computingElement: name, error });
        // A pilot that cannot register (say, the configuration is wrong) should not spin.
        pause = Math.max(pause, 30);
      }
      current.delete(name);
      await pauseUnlessStopped(pause * 1000, stopping.signal);
    }
  };
  const kept = Promise.all(elements.map(keep));

  return {
    current,
    stop: async ({ force = false } = {}) => {
      stopping.abort();
      await Promise.all(
        [...current.values()].map((pilot) => pilot.stop({ reason: 'the local runtime stops', force })),
      );
      await kept;
    },
  };
}

function pauseUnlessStopped(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
