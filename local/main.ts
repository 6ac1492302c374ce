/**
 * `muon local` / `npm start`: runs the embedded WMS until Ctrl-C or SIGTERM. The first signal
 * drains (no new requests or messages, in-flight work finishes, emulators stop); a second one
 * forces the exit.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockHome, resolveHome, writeLocalFile } from '#local/home.ts';
import { startLocalRuntime } from '#local/runtime.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { createLogger, parseLogLevel } from '#shared/log.ts';

export interface LocalCommandOptions {
  port: number;
  config: string;
  home?: string;
  inMemory?: boolean;
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

  const started = performance.now();
  let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
  try {
    runtime = await startLocalRuntime({
      config,
      home,
      logger,
      port: options.port,
      inMemory: options.inMemory ?? false,
      pilots: true,
      configFile: resolve(options.config),
    });
  } catch (error) {
    lock.release();
    throw error;
  }
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

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        console.error(`\n${signal} again: interrupting running jobs and stopping now.`);
        // Interrupted jobs are rescheduled and their payloads stopped; then nothing waits any more.
        const forced = runtime.pilots?.stop({ force: true }) ?? Promise.resolve();
        const deadline = new Promise((done) => setTimeout(done, 10_000));
        void Promise.race([forced, deadline]).finally(() => {
          lock.release();
          process.exit(130);
        });
        return;
      }
      stopping = true;
      console.log(`\n${signal}: draining (press Ctrl-C again to force)...`);
      runtime
        .stop()
        .catch((error) => logger.error('stop failed', { error }))
        .finally(() => {
          lock.release();
          logFile.end(() => {
            console.log('muon stopped.');
            resolve(0);
          });
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
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
