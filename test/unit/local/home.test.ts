/**
 * `$MUON_HOME` holds the development signing key and tokens: it is 0700 and muon's files in it
 * 0600, and a home left looser is tightened when the runtime starts, with a line saying so.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockHome, secureHome, writeLocalFile } from '#local/home.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('muon home', () => {
  const made: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'muon-home-'));
    made.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the home 0700 and writes local.json and the lock 0600', () => {
    const home = join(scratch(), 'nested', '.muon');
    const lock = lockHome(home, () => undefined);
    expect('release' in lock).toBe(true);
    writeLocalFile(home, { apiUrl: 'http://127.0.0.1:1', tokens: { user: 'u', admin: 'a', pilot: 'p' } });
    expect(modeOf(home)).toBe(0o700);
    expect(modeOf(join(home, 'local.json'))).toBe(0o600);
    expect(modeOf(join(home, 'muon.pid'))).toBe(0o600);
    if ('release' in lock) lock.release();
  });

  it('tightens a looser existing home and its private files, and says so once', () => {
    const home = scratch();
    chmodSync(home, 0o755);
    writeFileSync(join(home, 'dev-signing-key.json'), '{}', { mode: 0o644 });
    mkdirSync(join(home, 'pilots'), { recursive: true });
    writeFileSync(join(home, 'pilots', 'config.json'), '{}', { mode: 0o664 });
    const lines: string[] = [];
    const lock = lockHome(home, (line) => lines.push(line));
    expect(modeOf(home)).toBe(0o700);
    expect(modeOf(join(home, 'dev-signing-key.json'))).toBe(0o600);
    expect(modeOf(join(home, 'pilots', 'config.json'))).toBe(0o600);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /was readable by others; tightened: .*755 → 700.*dev-signing-key\.json \(644 → 600\)/,
    );
    if ('release' in lock) lock.release();
    expect(secureHome(home)).toEqual([]);
  });

  it('sets 0600 on a local.json that existed with a looser mode', () => {
    const home = scratch();
    writeFileSync(join(home, 'local.json'), '{}', { mode: 0o644 });
    writeLocalFile(home, { apiUrl: 'http://127.0.0.1:1', tokens: { user: 'u', admin: 'a', pilot: 'p' } });
    expect(modeOf(join(home, 'local.json'))).toBe(0o600);
  });
});
