/**
 * Starts the emulators in child processes, watches them, and stops them again (see
 * emulator-process.ts). DynamoDB gets a process of its own and SQS shares one with S3: the executor
 * chain keeps both DynamoDB and SQS busy, and one process for both saturates its core first.
 *
 * A child that dies while the runtime runs is started again on the same ports with the same data
 * directory, as runit or systemd would restart a DIRAC service: dynalite's LevelDB and s3rver's
 * files survive, so the runtime's clients see a few failed calls and then the same tables and
 * objects. SQS keeps its queues in memory: `onRestart` recreates them, and the recovery sweep
 * resends the executor messages that were lost (as after a restart of the whole runtime). DynamoDB
 * kept in memory cannot come back with its data, and a child that keeps dying (more than
 * `maxRestarts` within `restartWindowMs`) or does not start again is given up on: `onFailure` says
 * why, and the runtime stops rather than answer 500 to every request.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EmulatorName, Emulators } from '#local/emulators.ts';
import type { Endpoints } from '#shared/aws/clients.ts';
import type { Logger } from '#shared/log.ts';

const groups: readonly (readonly EmulatorName[])[] = [['dynamodb'], ['sqs', 's3']];

const labels: Record<EmulatorName, string> = { dynamodb: 'DynamoDB', sqs: 'SQS', s3: 'S3' };
const describeGroup = (names: readonly EmulatorName[]) =>
  `${names.map((n) => labels[n]).join(' and ')} emulator`;

/** An emulator child died and was not brought back; the runtime cannot serve without it. */
export class EmulatorFailedError extends Error {
  readonly code = 'local.emulator_failed';
}

export interface EmulatorWatchOptions {
  readonly dataDir: string;
  readonly inMemory?: boolean;
  readonly logger?: Logger;
  /** Called once a dead child's replacement answers (the runtime recreates in-memory queues). */
  readonly onRestart?: (names: readonly EmulatorName[]) => Promise<void>;
  /** Called once when a child is given up on; the emulators stay down. */
  readonly onFailure?: (error: EmulatorFailedError) => void;
  readonly maxRestarts?: number;
  readonly restartWindowMs?: number;
}

export async function startEmulatorProcesses(options: EmulatorWatchOptions): Promise<Emulators> {
  const started = await Promise.allSettled(groups.map((only) => superviseGroup(options, only)));
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(running.map((e) => e.close()));
    throw failed.reason;
  }
  const [dynamo, queues] = running as [Emulators, Emulators];
  return {
    endpoints: { dynamodb: dynamo.endpoints.dynamodb, sqs: queues.endpoints.sqs, s3: queues.endpoints.s3 },
    close: async () => {
      await Promise.all(running.map((e) => e.close()));
    },
  };
}

/** One child for `only`, restarted when it dies until it is closed or given up on. */
async function superviseGroup(
  options: EmulatorWatchOptions,
  only: readonly EmulatorName[],
): Promise<Emulators> {
  const what = describeGroup(only);
  const maxRestarts = options.maxRestarts ?? 3;
  const windowMs = options.restartWindowMs ?? 60_000;
  const keepsData = !(options.inMemory && only.includes('dynamodb'));
  const restarts: number[] = [];
  let closing = false;
  let restarting: Promise<void> | undefined;

  const first = await startChild(options, only, {});
  let child = first.child;
  const endpoints = first.endpoints;
  const ports = Object.fromEntries(
    only.map((name) => [name, Number(new URL(endpoints[name]).port)]),
  ) as Partial<Record<EmulatorName, number>>;

  const giveUp = (reason: string) => {
    const error = new EmulatorFailedError(`The ${what} ${reason}`);
    options.logger?.error('emulator given up', { emulators: only, error: error.message });
    options.onFailure?.(error);
  };
  const restart = async (exit: string) => {
    const now = Date.now();
    while (restarts.length > 0 && now - (restarts[0] as number) > windowMs) restarts.shift();
    if (!keepsData) return giveUp(`${exit}; it kept its data in memory, so it cannot come back with it.`);
    if (restarts.length >= maxRestarts)
      return giveUp(
        `${exit}, its ${maxRestarts + 1}th exit within ${windowMs / 1000} s; not restarting it again.`,
      );
    restarts.push(now);
    options.logger?.warn('emulator exited; restarting it with its data', { emulators: only, exit });
    try {
      const next = await startChild(options, only, ports);
      if (closing) return await stopChild(next.child);
      child = next.child;
      watch(child);
      await options.onRestart?.(only);
      options.logger?.warn('emulator restarted', { emulators: only, pid: child.pid });
    } catch (error) {
      giveUp(`${exit} and could not be started again: ${(error as Error).message}`);
    }
  };
  const watch = (watched: ChildProcess) =>
    watched.once('exit', (code, signal) => {
      if (closing) return;
      const exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      restarting = restart(exit).finally(() => {
        restarting = undefined;
      });
    });
  watch(child);

  return {
    endpoints,
    close: async () => {
      closing = true;
      await restarting;
      await stopChild(child);
    },
  };
}

async function startChild(
  options: EmulatorWatchOptions,
  only: readonly EmulatorName[],
  ports: Partial<Record<EmulatorName, number>>,
): Promise<{ child: ChildProcess; endpoints: Endpoints }> {
  const entry = fileURLToPath(new URL('./emulator-process.ts', import.meta.url));
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx', '--openssl-legacy-provider'],
    env: {
      ...process.env,
      MUON_EMULATOR_DATA_DIR: options.dataDir,
      MUON_EMULATOR_IN_MEMORY: options.inMemory ? '1' : '0',
      MUON_EMULATORS: only.join(','),
      MUON_EMULATOR_PORTS: JSON.stringify(ports),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A send to a child that just died reports here instead of crashing the runtime.
  child.on('error', (error) => options.logger?.warn('emulator process error', { emulators: only, error }));
  const endpoints = await new Promise<Endpoints>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { endpoints: Endpoints }).endpoints));
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `The ${describeGroup(only)} process exited (${signal ?? `code ${code}`}) before it was ready.`,
        ),
      ),
    );
  });
  return { child, endpoints };
}

/** Asks a running child to stop, then kills it after 5 s; a child already gone needs nothing. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('stop', (error) => error && child.kill('SIGTERM'));
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
