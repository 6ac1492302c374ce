/**
 * Starts an embedded runtime for one test file: a fresh home in a temp directory, emulators on free
 * ports, the API on a free port. `stop()` drains and removes the home.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '#local/runtime.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { createLogger, type LogLevel } from '#shared/log.ts';

export interface TestRuntime extends LocalRuntime {
  readonly home: string;
  /** fetch against the API with a development token (`user` unless said otherwise). */
  api(
    path: string,
    init?: RequestInit & { as?: 'user' | 'admin' | 'pilot' | 'none'; json?: unknown },
  ): Promise<Response>;
}

export const testConfig = (): MuonConfig => loadConfigFile('config/muon.yaml');

export async function startTestRuntime(
  options: Partial<Omit<LocalRuntimeOptions, 'logger'>> & { logLevel?: LogLevel; keepHome?: boolean } = {},
): Promise<TestRuntime> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'muon-test-'));
  const logs: string[] = [];
  const runtime = await startLocalRuntime({
    config: options.config ?? testConfig(),
    home,
    port: 0,
    emulatorsInProcess: options.emulatorsInProcess ?? true,
    inMemory: options.inMemory ?? true,
    logger: createLogger({
      level: options.logLevel ?? 'warn',
      write: (line) => {
        logs.push(line);
        if (process.env.MUON_TEST_LOGS) process.stderr.write(`${line}\n`);
      },
    }),
    ...(options.visibilityTimeoutSeconds !== undefined
      ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
      : {}),
    ...(options.scheduleEveryMs !== undefined ? { scheduleEveryMs: options.scheduleEveryMs } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    // Local pilots (off unless asked): `true`, or test settings such as a fake job wrapper.
    ...(options.pilots !== undefined ? { pilots: options.pilots } : {}),
  });
  return {
    ...runtime,
    home,
    api: (path, init = {}) => {
      const { as = 'user', json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (as !== 'none') headers.set('authorization', `Bearer ${runtime.tokens[as]}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${runtime.apiUrl}${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    stop: async () => {
      await runtime.stop();
      if (!options.keepHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A response body as a plain object, for assertions. */
export const bodyOf = async (response: Response) => (await response.json()) as Record<string, unknown>;
