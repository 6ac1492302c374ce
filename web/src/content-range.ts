/** `Content-Range` of a search page, as the tables read it (no DOM: the unit tests load it). */

// `Content-Range: jobs 0-99/1234`, or `jobs */1234` past the end: the zero-based rows and the total.
// `jobs 0-99/*` is a full page of a search whose total was not counted: `counted` is false and
// `total` only what is known, the rows up to this page's last.
export function parseContentRange(
  header: string | null,
  rows: number,
): { first: number; last: number; total: number; counted: boolean } {
  const match = /(\d+)-(\d+)\/(\d+|\*)|\*\/(\d+)/.exec(header ?? '');
  if (!match) return { first: 0, last: rows - 1, total: rows, counted: true };
  if (match[4] !== undefined) return { first: 0, last: -1, total: Number(match[4]), counted: true };
  const [first, last] = [Number(match[1]), Number(match[2])];
  if (match[3] === '*') return { first, last, total: last + 1, counted: false };
  return { first, last, total: Number(match[3]), counted: true };
}
