/** Usage errors Commander finds itself exit with 2 under every command, as the CLI's own do. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '#cli/main.ts';

describe('muon usage errors', () => {
  beforeEach(() => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it.each([
    [['nonsense']],
    [['local', '--bogus']],
    [['config', '--bogus']],
    [['whoami', '--bogus']],
    [['cwl-runner']],
    [['completion']],
    [['job', 'status', '1', '--bogus']],
    [['job', 'nonsense']],
    [['cwl-runner', '--timeout', 'abc', 'tool.cwl']],
    [['cwl-runner', '--poll', '0', 'tool.cwl']],
    [['production', 'status', '1', '--wait', '--interval', 'abc']],
    [['login', '--flow', 'nope']],
    [['login', '--port', '70000']],
    [['local', '--port', 'abc']],
    // Ids past 2^53 are not exact in JSON: refused before any request.
    [['production', 'status', '9999999999999999']],
    [['transformation', 'status', '9007199254740993']],
  ])('muon %j exits with 2', async (args) => {
    expect(await main(['node', 'muon', ...args])).toBe(2);
  });

  it('help and the version still exit with 0', async () => {
    expect(await main(['node', 'muon', '--help'])).toBe(0);
    expect(await main(['node', 'muon', 'local', '--help'])).toBe(0);
    expect(await main(['node', 'muon', '--version'])).toBe(0);
  });
});
