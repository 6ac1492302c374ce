/**
 * Charts: counts as horizontal bars (plain HTML, readable by screen readers and keyboard users,
 * no canvas needed for a dozen rows) and time series with uPlot (40 kB, draws tens of thousands of
 * points on a canvas at once; DIRAC's WebApp plots with Highcharts).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, statusClass } from './dom.ts';

/** One bar per label, longest first, with its count; `onPick` makes each bar a filter button. */
export function barChart(
  title: string,
  counts: readonly { label: string; count: number }[],
  options: { status?: boolean; onPick?: (label: string) => void } = {},
): HTMLElement {
  const sorted = [...counts].sort((a, b) => b.count - a.count).slice(0, 12);
  const max = Math.max(1, ...sorted.map((c) => c.count));
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  return h(
    'figure',
    { class: 'bars' },
    h('figcaption', {}, `${title} (${total})`),
    sorted.length === 0 ? h('p', { class: 'muted' }, 'No jobs.') : null,
    h(
      'ul',
      {},
      ...sorted.map(({ label, count }) => {
        const bar = h('span', {
          class: `bar ${options.status ? statusClass(label) : ''}`,
          style: `width:${Math.max(2, (count / max) * 100)}%`,
        });
        const text = h('span', { class: 'bar-label' }, label === '' ? '(none)' : label);
        const body = [text, h('span', { class: 'bar-track' }, bar), h('span', { class: 'bar-count' }, count)];
        return h(
          'li',
          {},
          options.onPick
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'bar-row',
                  title: `Filter on ${label}`,
                  onclick: () => options.onPick?.(label),
                },
                ...body,
              )
            : h('span', { class: 'bar-row' }, ...body),
        );
      }),
    ),
  );
}

export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  /** Draw as stepped bars-like lines (counts per bucket) rather than a smooth line. */
  readonly stepped?: boolean;
}

/** A time-series chart; `times` are epoch seconds. Resizes with its container. */
export function timeChart(
  title: string,
  times: readonly number[],
  series: readonly Series[],
  options: { height?: number; yLabel?: string } = {},
): HTMLElement {
  const figure = h('figure', { class: 'timechart', 'aria-label': title }, h('figcaption', {}, title));
  if (times.length === 0) {
    figure.append(h('p', { class: 'muted' }, 'No data yet.'));
    return figure;
  }
  const target = h('div', { class: 'plot' });
  figure.append(target);
  const data = [times as number[], ...series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData;
  const make = (width: number) =>
    new uPlot(
      {
        width,
        height: options.height ?? 180,
        scales: { x: { time: true } },
        axes: [{}, { label: options.yLabel ?? '', size: 60 }],
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.stepped ? { paths: uPlot.paths.stepped?.({ align: 1 }) } : {}),
            points: { show: times.length < 60 },
          })),
        ],
      },
      data,
      target,
    );
  // uPlot needs a width: wait until the figure is in the page, then follow the window's size. (A
  // ResizeObserver on the plot itself can oscillate when the canvas toggles a scrollbar.)
  requestAnimationFrame(() => {
    if (!target.isConnected) return;
    const plot = make(Math.max(300, target.clientWidth));
    let pending = false;
    const resize = () => {
      if (!target.isConnected) {
        window.removeEventListener('resize', resize);
        plot.destroy();
        return;
      }
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        const width = Math.max(300, target.clientWidth);
        if (Math.abs(width - plot.width) > 4) plot.setSize({ width, height: plot.height });
      });
    };
    window.addEventListener('resize', resize);
  });
  return figure;
}

export const palette = [
  '#2563eb',
  '#16a34a',
  '#dc2626',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#4b5563',
];

export const statusColors: Record<string, string> = {
  Waiting: '#d97706',
  Matched: '#0891b2',
  Running: '#2563eb',
  Completing: '#7c3aed',
  Done: '#16a34a',
  Failed: '#dc2626',
  Killed: '#4b5563',
  Stalled: '#db2777',
  Received: '#a3a3a3',
  Checking: '#a3a3a3',
  Deleted: '#262626',
  Rescheduled: '#ca8a04',
};
