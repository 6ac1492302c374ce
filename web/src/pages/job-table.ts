/**
 * The job table: one page of `POST /api/jobs/search` (its place in the whole from
 * `Content-Range`), headers that sort, columns the user picks, rows selected for kill, reschedule
 * or delete (`POST /api/jobs/kill|reschedule|delete`, whose per-job failures are shown).
 */
import { api, bulkAction, parseContentRange } from '../api.ts';
import { formatTime, h, replaceChildren, statusBadge } from '../dom.ts';
import { messageOf } from '../page.ts';
import { allColumns, type JobFilter, type SearchSpec } from '../search.ts';

type Row = Record<string, string | number>;

const timeColumns = new Set([
  'SubmissionTime',
  'LastUpdateTime',
  'StartExecTime',
  'EndExecTime',
  'HeartBeatTime',
  'RescheduleTime',
]);

export interface JobTable {
  readonly element: HTMLElement;
  load(): Promise<void>;
  autoRefresh(): boolean;
}

export function createJobTable(options: {
  filter: JobFilter;
  conditions: SearchSpec[];
  navigate: (filter: JobFilter) => void;
  /** True when the failure was the filter's and is shown next to it. */
  onRefused: (error: unknown) => boolean;
}): JobTable {
  const { filter, navigate } = options;
  const selected = new Set<number>();
  const columns = filter.columns.includes('JobID') ? filter.columns : ['JobID', ...filter.columns];

  const status = h('p', { class: 'muted', id: 'table-status', 'aria-live': 'polite' }, 'Loading jobs…');
  const message = h('div', { id: 'action-result', role: 'status' });
  const tbody = h('tbody');
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every job on this page' });
  const actionButtons = (['kill', 'reschedule', 'delete'] as const).map((action) =>
    h(
      'button',
      { type: 'button', id: `action-${action}`, disabled: true, onclick: () => void act(action) },
      action[0]?.toUpperCase() + action.slice(1),
    ),
  );
  const auto = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });

  const updateSelection = () => {
    for (const button of actionButtons) button.disabled = selected.size === 0;
    const boxes = [...tbody.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
    selectAll.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    actionButtons[0]?.parentElement?.setAttribute('data-selected', String(selected.size));
  };
  selectAll.addEventListener('change', () => {
    for (const box of tbody.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) {
      box.checked = selectAll.checked;
      const id = Number(box.value);
      if (selectAll.checked) selected.add(id);
      else selected.delete(id);
    }
    updateSelection();
  });

  const sortButton = (column: string) => {
    const active = filter.sort.column === column;
    const next = active && filter.sort.direction === 'asc' ? 'desc' : 'asc';
    return h(
      'th',
      {
        scope: 'col',
        'aria-sort': active ? (filter.sort.direction === 'asc' ? 'ascending' : 'descending') : undefined,
      },
      h(
        'button',
        {
          type: 'button',
          class: 'sort',
          title: `Sort by ${column}`,
          onclick: () => navigate({ ...filter, sort: { column, direction: next }, page: 1 }),
        },
        column,
        active ? (filter.sort.direction === 'asc' ? ' ▲' : ' ▼') : '',
      ),
    );
  };

  const columnPicker = h(
    'details',
    { class: 'columns' },
    h('summary', {}, 'Columns'),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Columns to show'),
      ...allColumns.map((column) =>
        h(
          'label',
          {},
          h('input', {
            type: 'checkbox',
            value: column,
            checked: columns.includes(column),
            disabled: column === 'JobID',
            onchange: (event: Event) => {
              const on = (event.target as HTMLInputElement).checked;
              const chosen = allColumns.filter((c) => (c === column ? on : columns.includes(c)));
              navigate({ ...filter, columns: chosen });
            },
          }),
          column,
        ),
      ),
    ),
  );

  const perPage = h(
    'select',
    {
      id: 'per-page',
      'aria-label': 'Jobs per page',
      onchange: (e: Event) =>
        navigate({ ...filter, perPage: Number((e.target as HTMLSelectElement).value), page: 1 }),
    },
    ...[25, 50, 100, 250, 500].map((n) =>
      h('option', { value: n, selected: n === filter.perPage }, `${n} per page`),
    ),
  );

  const element = h(
    'section',
    { class: 'jobs', 'aria-label': 'Job table' },
    h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'selection' }, ...actionButtons),
      columnPicker,
      perPage,
      h('label', {}, auto, ' Refresh every 15 s'),
      h('button', { type: 'button', onclick: () => void load() }, 'Refresh'),
    ),
    message,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid', id: 'job-table' },
        h('thead', {}, h('tr', {}, h('th', { class: 'check' }, selectAll), ...columns.map(sortButton))),
        tbody,
      ),
    ),
    status,
    pager,
  );

  const cell = (column: string, row: Row) => {
    const value = row[column];
    if (column === 'JobID')
      return h('td', { class: 'num' }, h('a', { href: `#/jobs/${value}` }, String(value)));
    if (column === 'Status') return h('td', {}, statusBadge(value));
    if (timeColumns.has(column)) return h('td', { class: 'time' }, formatTime(value));
    return h(
      'td',
      { class: typeof value === 'number' ? 'num' : undefined },
      value === undefined ? '' : String(value),
    );
  };

  async function load(): Promise<void> {
    const started = performance.now();
    try {
      const answer = await api<Row[]>('/api/jobs/search', {
        query: { page: filter.page, per_page: filter.perPage },
        json: {
          parameters: columns,
          search: options.conditions,
          sort: [{ parameter: filter.sort.column, direction: filter.sort.direction }],
        },
      });
      const rows = Array.isArray(answer.body) ? answer.body : [];
      const range = parseContentRange(answer.headers.get('content-range'), rows.length);
      for (const id of [...selected]) if (!rows.some((r) => r.JobID === id)) selected.delete(id);
      replaceChildren(
        tbody,
        rows.map((row) => {
          const id = Number(row.JobID);
          const box = h('input', {
            type: 'checkbox',
            value: id,
            checked: selected.has(id),
            'aria-label': `Select job ${id}`,
          });
          box.addEventListener('change', () => {
            if (box.checked) selected.add(id);
            else selected.delete(id);
            updateSelection();
          });
          return h(
            'tr',
            { 'data-job': id },
            h('td', { class: 'check' }, box),
            ...columns.map((c) => cell(c, row)),
          );
        }),
      );
      updateSelection();
      const ms = Math.round(performance.now() - started);
      replaceChildren(
        status,
        range.total === 0
          ? 'No jobs match.'
          : range.counted
            ? `Jobs ${range.first + 1}–${range.last + 1} of ${range.total} (${ms} ms)`
            : `Jobs ${range.first + 1}–${range.last + 1}, more not counted (${ms} ms)`,
      );
      renderPager(range.counted ? range.total : undefined);
    } catch (error) {
      if (!options.onRefused(error)) replaceChildren(status, h('span', { class: 'error' }, messageOf(error)));
      else replaceChildren(status, '');
      replaceChildren(tbody);
    }
  }

  // An uncounted total (a full page of a large table, `jobs 0-99/*`) has no last page to offer:
  // Next stays open, and a page past the end answers with the count (416, `jobs */N`).
  function renderPager(total: number | undefined): void {
    const pages = total === undefined ? undefined : Math.max(1, Math.ceil(total / filter.perPage));
    const go = (page: number, label: string, disabled: boolean) =>
      h('button', { type: 'button', disabled, onclick: () => navigate({ ...filter, page }) }, label);
    replaceChildren(
      pager,
      go(1, '« First', filter.page <= 1),
      go(filter.page - 1, '‹ Previous', filter.page <= 1),
      h('span', {}, pages === undefined ? `Page ${filter.page}` : `Page ${filter.page} of ${pages}`),
      go(filter.page + 1, 'Next ›', pages !== undefined && filter.page >= pages),
      go(pages ?? filter.page, 'Last »', pages === undefined || filter.page >= pages),
    );
  }

  async function act(action: 'kill' | 'reschedule' | 'delete'): Promise<void> {
    const ids = [...selected].sort((a, b) => a - b);
    if (
      !confirm(
        `${action[0]?.toUpperCase()}${action.slice(1)} ${ids.length} job(s): ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? '…' : ''}?`,
      )
    )
      return;
    try {
      const body = await bulkAction(action, ids);
      const failed = Object.entries(body.failed ?? {});
      replaceChildren(
        message,
        h('p', { class: 'ok' }, `${action}: ${Object.keys(body.success ?? {}).length} job(s) done.`),
        failed.length > 0
          ? h('ul', { class: 'error' }, ...failed.map(([id, f]) => h('li', {}, `Job ${id}: ${f.detail}`)))
          : null,
      );
    } catch (error) {
      replaceChildren(message, h('p', { class: 'error', role: 'alert' }, `${action}: ${messageOf(error)}`));
    }
    selected.clear();
    await load();
  }

  return { element, load, autoRefresh: () => auto.checked };
}
