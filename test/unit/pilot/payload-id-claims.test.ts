import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPayloadUserPool } from '#pilot/wrapper/isolation.ts';
import { createPayloadIdClaims } from '#pilot/wrapper/payload-id-claims.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A pid no process has any more: a child's, after it ended. */
const deadPid = () => spawnSync('true').pid as number;

describe('Payload id claims', () => {
  it('keep an id a living pilot holds from every other pilot, until it lets go', async () => {
    const directory = join(scratch('muon-claims-'), 'ids');
    // Two pilots: this process and its parent, both alive.
    const mine = createPayloadIdClaims(directory, process.pid);
    const other = createPayloadIdClaims(directory, process.ppid);
    expect(await other.claim(61_000)).toBe(true);
    expect(await mine.claim(61_000)).toBe(false);
    expect(readdirSync(directory)).toEqual([`61000.${process.ppid}`]);
    await other.release(61_000);
    expect(await mine.claim(61_000)).toBe(true);
  });

  it("give a dead pilot's ids to the next one and remove its claims", async () => {
    const directory = join(scratch('muon-claims-'), 'ids');
    const dead = deadPid();
    expect(await createPayloadIdClaims(directory, dead).claim(61_001)).toBe(true);
    expect(await createPayloadIdClaims(directory, process.pid).claim(61_001)).toBe(true);
    expect(readdirSync(directory)).toEqual([`61001.${process.pid}`]);
  });

  it('refuse a claim directory someone could write into', async () => {
    const directory = scratch('muon-claims-');
    rmSync(directory, { recursive: true });
    writeFileSync(directory, '');
    await expect(createPayloadIdClaims(directory).claim(61_000)).rejects.toThrow(/must be a directory/);
    const open = join(scratch('muon-claims-'), 'ids');
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(createPayloadIdClaims(open).claim(61_000)).rejects.toThrow(/mode 0700/);
  });
});

describe('Two payload user pools on one machine', () => {
  it('never hand out the same id at once, and share it in turn', async () => {
    const directory = join(scratch('muon-claims-'), 'ids');
    const proc = scratch('muon-proc-'); // a machine with no processes of the range
    const first = createPayloadUserPool(
      { base: 61_000, count: 1 },
      proc,
      createPayloadIdClaims(directory, process.ppid),
    );
    const second = createPayloadUserPool(
      { base: 61_000, count: 1 },
      proc,
      createPayloadIdClaims(directory, process.pid),
    );
    const user = await first.acquire();
    expect(user.uid).toBe(61_000);
    await expect(second.acquire()).rejects.toThrow(/no free payload user/);
    user.release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await second.acquire()).uid).toBe(61_000);
  });
});
