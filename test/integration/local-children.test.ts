import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alive,
  childrenOf,
  collect,
  emulatorChild,
  eventually,
  exited,
  type LocalFileContents,
  settle,
  startCli,
  waitForHealth,
} from '#test/integration/support/local-process.ts';

const homes: string[] = [];
const freshHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'muon-children-'));
  homes.push(home);
  return home;
};
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

const health = async (local: LocalFileContents) => {
  const response = await fetch(`${local.apiUrl}/api/health`);
  return {
    status: response.status,
    body: (await response.json()) as { status: string; dependencies: Record<string, { status: string }> },
  };
};
const api = (local: LocalFileContents, path: string, init: RequestInit = {}) =>
  fetch(`${local.apiUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${local.tokens.user}`, 'content-type': 'application/json' },
  });
const locked = (home: string) => existsSync(join(home, 'muon.pid')) || existsSync(join(home, 'local.json'));

describe('muon local watching its emulators', () => {
  it('reports a dead DynamoDB emulator in /api/health, restarts it with its data, and stops cleanly on Ctrl-C', {
    timeout: 150_000,
  }, async () => {
    const home = freshHome();
    const cli = startCli(home);
    const stderr = collect(cli.stderr);
    try {
      const local = await waitForHealth(home, 60_000);
      expect((await health(local)).body.dependencies).toMatchObject({
        dynamodb: { status: 'ok' },
        sqs: { status: 'ok' },
        s3: { status: 'ok' },
      });
      const submitted = await api(local, '/api/jobs/jdl', {
        method: 'POST',
        body: JSON.stringify(['Executable = "true";']),
      });
      expect(submitted.status).toBe(201);
      const [{ JobID }] = (await submitted.json()) as [{ JobID: number }];

      const dynamodb = emulatorChild(cli.pid as number, 'dynamodb') as number;
      expect(dynamodb).toBeGreaterThan(0);
      // A frozen emulator is one that does not answer: health names it and says 503.
      process.kill(dynamodb, 'SIGSTOP');
      const frozen = await health(local);
      expect(frozen.status).toBe(503);
      expect(frozen.body.status).toBe('degraded');
      expect(frozen.body.dependencies).toMatchObject({
        dynamodb: { status: 'unavailable' },
        sqs: { status: 'ok' },
        s3: { status: 'ok' },
      });

      // Killed, it comes back on the same port with the same data, and data routes answer again.
      process.kill(dynamodb, 'SIGKILL');
      await eventually(
        () => health(local),
        (h) => h.status === 200,
        45_000,
      );
      const replacement = emulatorChild(cli.pid as number, 'dynamodb');
      expect(replacement).toBeGreaterThan(0);
      expect(replacement).not.toBe(dynamodb);
      const job = await api(local, `/api/jobs/${JobID}`);
      expect(job.status).toBe(200);
      expect(await job.json()).toMatchObject({ JobID });

      const children = childrenOf(cli.pid as number);
      cli.kill('SIGINT');
      expect(await exited(cli)).toBe(0);
      expect(await settle(children)).toEqual([]);
      expect(locked(home)).toBe(false);
      expect(stderr.text).not.toMatch(/ERR_IPC_CHANNEL_CLOSED|Unhandled/);
    } finally {
      if (alive(cli.pid as number)) cli.kill('SIGKILL');
    }
  });

  it('stops with a clear message and exit code 1 when a dead emulator cannot come back with its data', {
    timeout: 120_000,
  }, async () => {
    const home = freshHome();
    const cli = startCli(home, ['--in-memory']);
    const stderr = collect(cli.stderr);
    try {
      await waitForHealth(home, 60_000);
      const children = childrenOf(cli.pid as number);
      process.kill(emulatorChild(cli.pid as number, 'dynamodb') as number, 'SIGKILL');
      expect(await exited(cli)).toBe(1);
      expect(stderr.text).toMatch(/DynamoDB emulator was killed by SIGKILL; it kept its data in memory/);
      expect(await settle(children)).toEqual([]);
      expect(locked(home)).toBe(false);
    } finally {
      if (alive(cli.pid as number)) cli.kill('SIGKILL');
    }
  });

  it('stops cleanly on a Ctrl-C to the whole process group during start-up', async () => {
    const home = freshHome();
    const cli = startCli(home, [], { group: true });
    try {
      // Mid start-up: the emulator children exist, the API does not answer yet.
      await eventually(
        async () => emulatorChild(cli.pid as number, 'dynamodb'),
        (pid) => pid !== undefined,
      );
      const children = childrenOf(cli.pid as number);
      process.kill(-(cli.pid as number), 'SIGINT');
      expect(await exited(cli)).toBe(0);
      expect(await settle(children)).toEqual([]);
      expect(locked(home)).toBe(false);
    } finally {
      if (alive(cli.pid as number)) process.kill(-(cli.pid as number), 'SIGKILL');
    }
  });
});
