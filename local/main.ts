/**
 * `muon local` / `npm start`: runs the embedded WMS until Ctrl-C or SIGTERM. The first signal
 * drains (no new requests or messages, in-flight work finishes, emulators stop); a second one
 * forces the exit. A signal during start-up stops the runtime once it has started; an emulator
 * that dies for good stops it with exit code 1. No state leaves the home locked.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockHome, resolveHome, writeLocalFile } from '#local/home.ts';
import { type LocalRuntime, startLocalRuntime } from '#local/runtime.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { createLogger, parseLogLevel } from '#shared/log.ts';

export interface LocalCommandOptions {
  port: number;
  config: string;
  home?: string;
  inMemory?: boolean;
  /** Run every agent this often instead of its schedule (the chaos run; tests). */
  scheduleEveryMs?: number;
}

export async function runLocal(options: LocalCommandOptions): Promise<number> {
  const home = options.home ?? resolveHome();
  const config = loadConfigFile(options.config);
  const lock = lockHome(home);
  if ('heldBy' in lock) {
    console.error(`muon local is already running with this home (${home}) as process ${lock.heldBy}.`);
    console.error('Stop it first, or set MUON_HOME to another directory.');
    return 1;
  }
  mkdirSync(join(home, 'logs'), { recursive: true });
  const logFile = createWriteStream(join(home, 'logs', 'muon.log'), { flags: 'a' });
  const logger = createLogger({
    level: parseLogLevel(process.env.MUON_LOG_LEVEL),
    write: (line) => {
      logFile.write(`${line}\n`);
      if (line.includes('"level":"error"') || line.includes('"level":"warn"'))
        process.stderr.write(`${line}\n`);
    },
  });

  // Whatever ends the process (a crash included), the lock and local.json go with it.
  process.once('exit', lock.release);

  const started = performance.now();
  const lifecycle = createLifecycle(lock.release, logFile);
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      config,
      home,
      logger,
      port: options.port,
      inMemory: options.inMemory ?? false,
      ...(options.scheduleEveryMs ? { scheduleEveryMs: options.scheduleEveryMs } : {}),
      pilots: true,
      configFile: resolve(options.config),
      onEmulatorFailure: (error) => {
        console.error(`\n${error.message}`);
        console.error(`muon is stopping; its data stays in ${home}. Start it again with \`npm start\`.`);
        lifecycle.stop(1);
      },
    });
  } catch (error) {
    // Ctrl-C during start-up reaches the emulator children too, and their start then fails.
    if (lifecycle.stopping) return lifecycle.startFailed();
    lifecycle.close();
    throw error;
  }
  if (lifecycle.stopping) return lifecycle.started(runtime);
  writeLocalFile(home, {
    apiUrl: runtime.apiUrl,
    tokens: runtime.tokens,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    // `muon site-director` on this machine reads and writes the tables directly.
    endpoints: runtime.endpoints,
    tables: { ...runtime.resources.tables },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`muon is running (started in ${seconds} s)

  API:        ${runtime.apiUrl}   (try: curl ${runtime.apiUrl}/api/health)
  Home:       ${home}
  Log:        ${join(home, 'logs', 'muon.log')}
  Tokens:     ${join(home, 'local.json')} (the muon CLI reads them from there)
  Pilots:     ${describePilots(config)}

  User token:  ${runtime.tokens.user}
  Admin token: ${runtime.tokens.admin}
  Pilot token: ${runtime.tokens.pilot}

Press Ctrl-C to stop.`);
  return lifecycle.started(runtime);
}

/**
 * The runtime's one stop path, whatever asks for it: the first SIGINT or SIGTERM drains (in any
 * state: during start-up the stop waits for the start to finish), a dead emulator stops it with
 * exit code 1, and a second signal forces: running jobs are interrupted and the process exits.
 * The lock goes in every case.
 */
function createLifecycle(release: () => void, logFile: WriteStream) {
  let runtime: LocalRuntime | undefined;
  let stopping = false;
  let exitCode = 0;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const close = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    release();
  };
  const drain = (running: LocalRuntime) => {
    running
      .stop()
      .catch((error: unknown) => console.error(`muon: stopping failed: ${(error as Error).message}`))
      .finally(() => {
        close();
        logFile.end(() => {
          console.log('muon stopped.');
          finish(exitCode);
        });
      });
  };
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    if (runtime) drain(runtime);
  };
  function onSignal(signal: NodeJS.Signals) {
    if (stopping) {
      console.error(`\n${signal} again: interrupting running jobs and stopping now.`);
      // Interrupted jobs are rescheduled and their payloads stopped; then nothing waits any more.
      const forced = runtime?.pilots?.stop({ force: true }) ?? Promise.resolve();
      const deadline = new Promise((done) => setTimeout(done, 10_000));
      void Promise.race([forced, deadline]).finally(() => {
        release();
        process.exit(130);
      });
      return;
    }
    console.log(
      `\n${signal}: ${runtime ? 'draining' : 'stopping once started'} (press Ctrl-C again to force)...`,
    );
    stop(0);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get stopping() {
      return stopping;
    },
    stop,
    close,
    /** The runtime is up: returns its exit code once it has stopped. */
    started: (running: LocalRuntime) => {
      runtime = running;
      if (stopping) drain(running);
      return finished;
    },
    /** A stop was asked for while starting, and the start failed on the way: nothing is left to stop. */
    startFailed: () => {
      close();
      console.log('muon stopped.');
      return Promise.resolve(exitCode);
    },
  };
}

function describePilots(config: MuonConfig): string {
  const local = Object.entries(config.sites).flatMap(([site, siteConfig]) =>
    Object.entries(siteConfig.computingElements)
      .filter(([, ce]) => ce.type === 'Local')
      .map(([name, ce]) => `${site}/${name} (up to ${ce.maxPilots}, ${ce.processors} cores each)`),
  );
  return local.length > 0
    ? `started by the site director while jobs wait, at ${local.join(', ')}`
    : 'none (the configuration has no Local computing element)';
}
