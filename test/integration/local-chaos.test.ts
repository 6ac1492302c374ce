import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * The short variant of `npm run chaos` (scripts/chaos.ts): six jobs, a pilot, a payload and an
 * emulator child killed, S3 faults throughout. The full run (`npm run chaos`, docs/local-runtime.md)
 * also kills and restarts the runtime itself.
 */
describe('The embedded runtime under chaos', () => {
  it('ends every job, loses none, runs none twice at once, and keeps the outputs of Done jobs', {
    timeout: 180_000,
  }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts'], {
      env: {
        ...process.env,
        CHAOS_JOBS: '6',
        CHAOS_CWL_EVERY: '3',
        CHAOS_SECONDS: '150',
        CHAOS_FAULT_EVERY_MS: '1500',
        // A restart of the whole runtime costs 20 to 30 s on a loaded machine: the full run has two.
        CHAOS_RUNTIME_KILLS: '0',
        CHAOS_EMULATOR_KILLS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect({ code, result, stderr: code === 0 ? '' : stderr.slice(-3000) }).toMatchObject({ code: 0 });
    expect(result).toMatchObject({
      jobs: 6,
      lost: 0,
      notFinal: 0,
      ranTwiceAtOnce: 0,
      missingOutputs: 0,
    });
  });
});
