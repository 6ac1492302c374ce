/**
 * Summary charts of the filtered jobs: counts by status, site and owner (`POST /api/jobs/summary`,
 * the same conditions as the table) and submissions over time by status, from the newest jobs'
 * submission times (the summary counts per value, and a time has too many values to group by).
 */
import { api } from '../api.ts';
import { barChart, palette, statusColors, timeChart } from '../charts.ts';
import { h, replaceChildren } from '../dom.ts';
import { messageOf } from '../page.ts';
import type { SearchSpec } from '../search.ts';

/** Jobs read for the time chart: enough for a shift's view, small enough to stay quick. */
const timeSample = 5000;

export async function loadJobCharts(
  container: HTMLElement,
  search: SearchSpec[],
  pick: { status: (v: string) => void; site: (v: string) => void; owner: (v: string) => void },
): Promise<void> {
  replaceChildren(container, h('p', { class: 'muted' }, 'Counting…'));
  const summary = (column: string) =>
    api<({ count: number } & Record<string, string | number>)[]>('/api/jobs/summary', {
      json: { grouping: [column], search },
    }).then(({ body }) => body.map((row) => ({ label: String(row[column] ?? ''), count: row.count })));
  try {
    const [byStatus, bySite, byOwner, recent] = await Promise.all([
      summary('Status'),
      summary('Site'),
      summary('Owner'),
      api<{ SubmissionTime: string; Status: string }[]>('/api/jobs/search', {
        query: { page: 1, per_page: timeSample },
        json: {
          parameters: ['SubmissionTime', 'Status'],
          search,
          sort: [{ parameter: 'SubmissionTime', direction: 'desc' }],
        },
      }).then(({ body }) => (Array.isArray(body) ? body : [])),
    ]);
    replaceChildren(
      container,
      h(
        'div',
        { class: 'chart-row' },
        barChart('By status', byStatus, { status: true, onPick: pick.status }),
        barChart('By site', bySite, { onPick: pick.site }),
        barChart('By owner', byOwner, { onPick: pick.owner }),
      ),
      submissionsOverTime(recent),
    );
  } catch (error) {
    replaceChildren(container, h('p', { class: 'muted' }, `No summary: ${messageOf(error)}`));
  }
}

/** Submissions per time bucket, one line per status the jobs are in now. */
function submissionsOverTime(rows: readonly { SubmissionTime: string; Status: string }[]): HTMLElement {
  const times = rows.map((r) => Date.parse(r.SubmissionTime) / 1000).filter(Number.isFinite);
  if (times.length === 0) return timeChart('Submitted over time', [], []);
  const first = Math.min(...times);
  const last = Math.max(...times);
  // About 40 buckets over the span, on round sizes (1 s to 1 day).
  const sizes = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86_400];
  const size = sizes.find((s) => (last - first) / s <= 40) ?? 86_400;
  const start = Math.floor(first / size) * size;
  const buckets = Math.floor((last - start) / size) + 1;
  const statuses = [...new Set(rows.map((r) => r.Status))].sort();
  const counts = new Map(statuses.map((s) => [s, new Array<number>(buckets).fill(0)]));
  for (const row of rows) {
    const t = Date.parse(row.SubmissionTime) / 1000;
    if (!Number.isFinite(t)) continue;
    const line = counts.get(row.Status) as number[];
    const index = Math.floor((t - start) / size);
    line[index] = (line[index] ?? 0) + 1;
  }
  const axis = Array.from({ length: buckets }, (_, i) => start + i * size);
  const caption = `Submitted over time, per ${size < 60 ? `${size} s` : size < 3600 ? `${size / 60} min` : `${size / 3600} h`} (newest ${rows.length} jobs, by current status)`;
  return timeChart(
    caption,
    axis,
    statuses.map((status, i) => ({
      label: status,
      values: counts.get(status) as number[],
      color: statusColors[status] ?? palette[i % palette.length] ?? '#333',
      stepped: true,
    })),
    { yLabel: 'jobs' },
  );
}
