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

/** The test configuration where a job may ask for any CPU time (vo.example.org's minCpuTime: 1). */
export function anyCpuTimeConfig(): MuonConfig {
  const base = testConfig();
  const vo = base.virtualOrganizations['vo.example.org'];
  if (!vo) throw new Error('the test config lacks vo.example.org');
  return {
    ...base,
    virtualOrganizations: {
      'vo.example.org': { ...vo, jobDescription: { ...vo.jobDescription, minCpuTime: 1 } },
    },
  };
}

/**
 * The test configuration for real jobs on a real pilot: any CPU time will do, a failed job is
 * rescheduled at once, and the pilot polls, beats and stops its payloads within a second or two.
 */
export function quickPilotConfig(graceSeconds: number): MuonConfig {
  const base = anyCpuTimeConfig();
  return {
    ...base,
    jobs: { ...base.jobs, rescheduleDelays: [0] },
    pilot: {
      ...base.pilot,
      pollSeconds: 0.2,
      maxPollSeconds: 0.5,
      heartbeatSeconds: 0.3,
      graceSeconds,
      watchdog: { ...base.pilot.watchdog, checkSeconds: 0.2, killGraceSeconds: 1 },
    },
  };
}

/** `runtime.api` options of a call made by another user of vo.example.org (a NormalUser). */
export async function asOtherUser(runtime: LocalRuntime, username: string) {
  const token = await runtime.authority.sign({
    vo: 'vo.example.org',
    username,
    group: 'user',
    properties: ['NormalUser'],
  });
  return { as: 'none' as const, headers: { authorization: `Bearer ${token}` } };
}

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
