import { describe, expect, it } from 'vitest';
import { createProgress, formatRows, formatTable, progressLine, truncate, useColor } from '#cli/format.ts';

describe('Tables', () => {
  it('size each column to its widest cell, align numbers right and leave no trailing blanks', () => {
    const table = formatTable(
      ['JobID', 'Status', 'Site'],
      [
        [7, 'Waiting', 'ANY'],
        [1234, 'Running', 'LCG.CERN.cern'],
      ],
    );
    expect(table.split('\n')).toEqual([
      'JobID  Status   Site',
      '    7  Waiting  ANY',
      ' 1234  Running  LCG.CERN.cern',
    ]);
  });

  it('cut long cells with an ellipsis', () => {
    const table = formatTable(['Name'], [['x'.repeat(20)]], { maxCellWidth: 8 });
    expect(table.split('\n')[1]).toBe('xxxxxxx…');
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
  });

  it('narrow the widest columns to fit a terminal', () => {
    const table = formatTable(['A', 'B'], [['a'.repeat(30), 'b'.repeat(10)]], { maxWidth: 24 });
    const lines = table.split('\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(24);
    expect(lines[1]).toBe(`${'a'.repeat(11)}…  ${'b'.repeat(10)}`);
  });

  it('show empty values as blanks, objects as JSON, and a header alone without rows', () => {
    expect(formatTable(['A', 'B'], [[null, { x: 1 }]]).split('\n')[1]).toBe('   {"x":1}');
    expect(formatTable(['JobID', 'Status'], [])).toBe('JobID  Status');
  });

  it('use colour only on a terminal and never with NO_COLOR', () => {
    expect(useColor({ write: () => {}, isTTY: true }, {})).toBe(true);
    expect(useColor({ write: () => {}, isTTY: false }, {})).toBe(false);
    expect(useColor({ write: () => {}, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(formatTable(['A'], [], { color: true })).toBe('\u001b[1mA\u001b[0m');
  });
});

describe('Progress bar', () => {
  it('draws the share done', () => {
    expect(progressLine('Submitting jobs', 500, 2000)).toBe(
      `Submitting jobs [${'#'.repeat(8)}${'·'.repeat(22)}]  500/2000  25%`,
    );
    expect(progressLine('x', 2000, 2000)).toMatch(/\[#{30}\] 2000\/2000 100%$/);
  });

  it('redraws on a terminal, at most every 100 ms and always at the end', () => {
    const writes: string[] = [];
    let now = 0;
    const progress = createProgress(
      { write: (text: string) => writes.push(text), isTTY: true },
      10,
      'Up',
      () => now,
    );
    progress.advance(1);
    now = 150;
    progress.advance(1);
    progress.advance(8);
    progress.end();
    expect(writes).toHaveLength(4);
    expect(writes[1]).toContain(' 2/10');
    expect(writes[2]).toContain('10/10 100%');
    expect(writes[3]).toBe('\r\u001b[2K');
  });

  it('stays silent when the stream is not a terminal', () => {
    const writes: string[] = [];
    const progress = createProgress({ write: (text: string) => writes.push(text) }, 10, 'Up');
    progress.advance(10);
    progress.end();
    expect(writes).toEqual([]);
  });
});

describe('formatRows', () => {
  const rows = [
    [1, 'Done', 'Execution Complete'],
    [12, 'Failed', 'Exit code\t3'],
  ];
  it('is an aligned table with a header on a terminal', () => {
    const text = formatRows(
      { write: () => {}, isTTY: true, columns: 80 },
      ['JobID', 'Status', 'MinorStatus'],
      rows,
    );
    expect(text.split('\n')[0]).toMatch(/JobID\s+Status\s+MinorStatus/);
    expect(text.split('\n')).toHaveLength(3);
  });

  it('is tab-separated lines without a header when piped, a tab inside a cell made a space', () => {
    const text = formatRows({ write: () => {} }, ['JobID', 'Status', 'MinorStatus'], rows);
    expect(text).toBe('1\tDone\tExecution Complete\n12\tFailed\tExit code 3');
  });
});
