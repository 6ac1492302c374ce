import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
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

function startCli(home: string): ChildProcess {
  return spawn(process.execPath, ['bin/muon.mjs', 'local', '--port', '0'], {
    env: { ...process.env, MUON_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function waitForHealth(home: string, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const file = join(home, 'local.json');
    if (existsSync(file)) {
      const { apiUrl } = JSON.parse(readFileSync(file, 'utf8')) as { apiUrl: string };
      const ok = await fetch(`${apiUrl}/api/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return apiUrl;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('muon local did not become healthy');
}

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
};
/** Running, not a zombie: this machine's PID 1 does not reap orphans, so a zombie counts as gone. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
const settle = async (pids: number[]) => {
  const end = Date.now() + 3000;
  while (Date.now() < end && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
};
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
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
