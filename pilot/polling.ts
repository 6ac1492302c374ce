/**
 * When the pilot asks again after the matcher had nothing: the wait grows with each empty answer in
 * a row (DIRAC's JobAgent sleeps PollingTime x failures), up to `maxPollSeconds`, and never past the
 * moment the pilot would stop idle.
 */
import type { MuonConfig } from '#shared/config/schema.ts';

type PollConfig = Pick<MuonConfig['pilot'], 'pollSeconds' | 'maxPollSeconds'>;

/** Seconds to wait after `emptyAnswers` (>= 1) empty answers in a row. */
export const pollWaitSeconds = (emptyAnswers: number, config: PollConfig): number =>
  Math.min(
    Math.max(config.maxPollSeconds, config.pollSeconds),
    config.pollSeconds * Math.max(1, emptyAnswers),
  );

export interface IdleClock {
  /** A job started or ended: the pilot is not idle. */
  busy(): void;
  /** Milliseconds left before the pilot, with nothing running, should stop. */
  remainingMs(): number;
}

export function createIdleClock(idleStopSeconds: number, now: () => number = Date.now): IdleClock {
  let since = now();
  return {
    busy: () => {
      since = now();
    },
    remainingMs: () => since + idleStopSeconds * 1000 - now(),
  };
}

/**
 * Wake-ups: asks to look for work at once. The embedded runtime sends one to its idle pilots when
 * a job enters a task queue (SIGUSR2, pilot/process.ts); a pilot that never gets one keeps its
 * backoff, as in the cloud.
 */
export interface WakeUps {
  wake(): void;
  /** Calls `listener` on each wake-up until the returned function is called. */
  subscribe(listener: () => void): () => void;
}

export function createWakeUps(): WakeUps {
  const listeners = new Set<() => void>();
  return {
    wake: () => {
      for (const listener of listeners) listener();
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
