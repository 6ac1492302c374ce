/**
 * What the CLI prints for people: tables sized to their content, a one-line progress bar, and
 * JSON for `--json`. Tables, colour and the progress bar only on a terminal (colour never with
 * NO_COLOR); piped, rows are plain tab-separated lines.
 */
import { stringifyJson } from '#shared/json.ts';

export interface TableOptions {
  /** The widest a cell may be before it is cut with `…`. */
  readonly maxCellWidth?: number;
  /** The widest the table may be (a terminal's columns); the widest columns give way first. */
  readonly maxWidth?: number;
  /** Bold header. */
  readonly color?: boolean;
}

export type Cell = string | number | boolean | null | undefined;

const GAP = '  ';
const ELLIPSIS = '…';
const MIN_COLUMN = 4;

/** Characters as a terminal counts them, near enough: code points, not UTF-16 units. */
const widthOf = (text: string) => [...text].length;

export function cellText(value: Cell | unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return stringifyJson(value);
  return String(value).replace(/\s*\n\s*/g, ' ');
}

export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return ELLIPSIS.slice(0, width);
  return `${chars.slice(0, width - 1).join('')}${ELLIPSIS}`;
}

/** A table with a header line, each column as wide as its widest cell; numbers align right. */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly (Cell | unknown)[])[],
  options: TableOptions = {},
): string {
  const { maxCellWidth = 60, maxWidth, color = false } = options;
  const texts = rows.map((row) => columns.map((_, i) => cellText(row[i])));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number'));
  const widths = columns.map((column, i) =>
    Math.min(maxCellWidth, Math.max(widthOf(column), ...texts.map((row) => widthOf(row[i] as string)))),
  );
  if (maxWidth !== undefined) fitWidths(widths, maxWidth - GAP.length * (columns.length - 1));

  const line = (cells: readonly string[], alignRight: readonly boolean[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] as number;
        const text = truncate(cell, width);
        const pad = ' '.repeat(width - widthOf(text));
        // The last column is not padded, so lines carry no trailing blanks.
        if (alignRight[i]) return pad + text;
        return i === cells.length - 1 ? text : text + pad;
      })
      .join(GAP);
  const header = line(columns, numeric);
  return [color ? `\u001b[1m${header}\u001b[0m` : header, ...texts.map((row) => line(row, numeric))].join(
    '\n',
  );
}

/** Narrows the widest columns, one character at a time, until the total fits. */
function fitWidths(widths: number[], available: number): void {
  let total = widths.reduce((sum, width) => sum + width, 0);
  while (total > available) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] as number) <= MIN_COLUMN) return;
    widths[widest] = (widths[widest] as number) - 1;
    total -= 1;
  }
}

export const toJson = (value: unknown): string => stringifyJson(value, 2);

/** Where output goes; `process.stdout` and `process.stderr` fit. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export const useColor = (stream: Output, env = process.env): boolean =>
  stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';

/** Table options for a stream: colour and the terminal's width on a terminal, neither otherwise. */
export const tableOptionsFor = (stream: Output): TableOptions => ({
  color: useColor(stream),
  ...(stream.isTTY && stream.columns ? { maxWidth: stream.columns } : {}),
});

/**
 * Rows for `out`: an aligned table with a header on a terminal; piped, one line per row with the
 * cells separated by tabs and no header, nothing cut (as `gh` does), for `cut`, `awk` and `read`.
 */
export function formatRows(
  out: Output,
  columns: readonly string[],
  rows: readonly (readonly (Cell | unknown)[])[],
): string {
  if (out.isTTY) return formatTable(columns, rows, tableOptionsFor(out));
  return rows.map((row) => columns.map((_, i) => cellText(row[i]).replace(/\t/g, ' ')).join('\t')).join('\n');
}

/** Records as `formatRows` shows them: one row each, its cells the named columns' values. */
export const formatRecords = (out: Output, columns: readonly string[], records: readonly object[]): string =>
  formatRows(
    out,
    columns,
    records.map((record) => columns.map((column) => (record as Record<string, unknown>)[column])),
  );

export interface Progress {
  /** `done` more items are finished. */
  advance(done: number): void;
  /** Shows `label` from now on (a new phase of the same work). */
  phase(label: string): void;
  /** Clears the line. */
  end(): void;
}

/** Progress that shows nothing (small submissions, output that is not a terminal). */
export const noProgress: Progress = { advance: () => {}, phase: () => {}, end: () => {} };
const BAR_WIDTH = 30;
const REDRAW_MS = 100;

/** A progress bar redrawn in place on `stream`; silent unless the stream is a terminal. */
export function createProgress(
  stream: Output,
  total: number,
  label: string,
  now: () => number = Date.now,
): Progress {
  if (!stream.isTTY || total <= 0) return noProgress;
  let done = 0;
  let current = label;
  let drawnAt = Number.NEGATIVE_INFINITY;
  const draw = (force = false) => {
    if (!force && now() - drawnAt < REDRAW_MS) return;
    drawnAt = now();
    stream.write(`\r\u001b[2K${progressLine(current, done, total)}`);
  };
  draw(true);
  return {
    advance: (n) => {
      done = Math.min(total, done + n);
      draw(done === total);
    },
    phase: (next) => {
      current = next;
      done = 0;
      draw(true);
    },
    end: () => stream.write('\r\u001b[2K'),
  };
}

/** `label [#########·····················]  300/1000  30%` */
export function progressLine(label: string, done: number, total: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'·'.repeat(BAR_WIDTH - filled)}`;
  const count = `${String(done).padStart(String(total).length)}/${total}`;
  return `${label} [${bar}] ${count} ${String(Math.floor(fraction * 100)).padStart(3)}%`;
}
