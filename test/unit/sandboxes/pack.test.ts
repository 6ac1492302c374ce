import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { packSandbox } from '#cli/sandbox.ts';

const base = mkdtempSync(join(tmpdir(), 'muon-pack-'));
writeFileSync(join(base, 'run.sh'), '#!/bin/sh\necho hello\n');
mkdirSync(join(base, 'inputs'));
writeFileSync(join(base, 'inputs', 'a.txt'), 'a');

async function entriesOf(buffer: Buffer): Promise<string[]> {
  const paths: string[] = [];
  const lister = list({ onReadEntry: (entry) => paths.push(entry.path) });
  await new Promise<void>((done, fail) => {
    lister.on('error', fail);
    lister.on('end', () => done());
    lister.end(buffer);
  });
  return paths.sort();
}

describe('packSandbox', () => {
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('packs files and directories with their relative paths, and names the bytes by sha256', async () => {
    const packed = await packSandbox(['run.sh', 'inputs'], base);
    expect(packed.size).toBe(packed.buffer.length);
    expect(packed.checksum).toBe(createHash('sha256').update(packed.buffer).digest('hex'));
    expect(await entriesOf(packed.buffer)).toEqual(['inputs/', 'inputs/a.txt', 'run.sh']);
  });

  it('packs the same files to the same bytes, so the store can deduplicate them', async () => {
    const first = await packSandbox(['run.sh', 'inputs'], base);
    const second = await packSandbox(['run.sh', 'inputs'], base);
    expect(second.checksum).toBe(first.checksum);
  });

  it('refuses paths outside the base directory and files that do not exist', async () => {
    await expect(packSandbox(['../etc/passwd'], base)).rejects.toThrow(/not inside/);
    await expect(packSandbox(['/etc/passwd'], base)).rejects.toThrow(/not inside/);
    await expect(packSandbox(['missing.txt'], base)).rejects.toThrow(/does not exist/);
    await expect(packSandbox([], base)).rejects.toThrow(/at least one file/);
  });
});
