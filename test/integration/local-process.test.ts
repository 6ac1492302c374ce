import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childrenOf,
  exited,
  settle,
  startCli,
  waitForHealth,
} from '#test/integration/support/local-process.ts';
import { startTestRuntime } from '#test/integration/support/runtime.ts';

const homes: string[] = [];
const freshHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'muon-proc-'));
  homes.push(home);
  return home;
};
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

describe('muon local as a process', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`drains on ${signal} and leaves no process behind`, async () => {
      const home = freshHome();
      const cli = startCli(home);
      await waitForHealth(home);
      const children = childrenOf(cli.pid as number);
      expect(children.length).toBeGreaterThan(0);
      cli.kill(signal);
      expect(await exited(cli)).toBe(0);
      expect(await settle(children)).toEqual([]);
      expect(existsSync(join(home, 'local.json'))).toBe(false);
    });
  }

  it('refuses a second runtime on the same home with a clear message', async () => {
    const home = freshHome();
    const first = startCli(home);
    try {
      await waitForHealth(home);
      const second = startCli(home);
      let stderr = '';
      second.stderr?.on('data', (chunk) => {
        stderr += chunk;
      });
      expect(await exited(second)).toBe(1);
      expect(stderr).toMatch(/already running/);
    } finally {
      first.kill('SIGINT');
      await exited(first);
    }
  });
});

describe('embedded runtime data', () => {
  it('survives a restart', async () => {
    const home = freshHome();
    const first = await startTestRuntime({
      home,
      inMemory: false,
      emulatorsInProcess: false,
      keepHome: true,
    });
    const table = first.resources.tables.jobs as string;
    await first.aws.dynamo.send(
      new PutCommand({ TableName: table, Item: { pk: 'JOB#1', sk: 'A', note: 'kept' } }),
    );
    await first.stop();

    const second = await startTestRuntime({
      home,
      inMemory: false,
      emulatorsInProcess: false,
      keepHome: true,
    });
    try {
      const { Item } = await second.aws.dynamo.send(
        new GetCommand({ TableName: table, Key: { pk: 'JOB#1', sk: 'A' } }),
      );
      expect(Item?.note).toBe('kept');
    } finally {
      await second.stop();
    }
  });
});
