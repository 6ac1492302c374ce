/**
 * The pilot monitor (DIRAC WebApp's PilotMonitor and PilotSummary): pilots by site, computing
 * element and status (`POST /api/pilots/summary`), the pilots themselves (`POST /api/pilots/search`,
 * filtered by the same fields and paged by `Content-Range`), and one pilot's record with its jobs
 * and its log (`GET /api/pilots/info`, `GET /api/pilots/logs`).
 */
import { api, parseContentRange } from '../api.ts';
import { barChart } from '../charts.ts';
import { definitionTable, formatTime, h, replaceChildren, statusBadge } from '../dom.ts';
import { type Dispose, every, messageOf, showFailure } from '../page.ts';

const pilotStatuses = ['Submitted', 'Waiting', 'Running', 'Done', 'Failed', 'Aborted'];
const columns = [
  'PilotReference',
  'Status',
  'Site',
  'GridCE',
  'CEType',
  'Jobs',
  'SubmissionTime',
  'LastSeenTime',
];
const perPage = 100;

type Row = Record<string, string | number>;

export function renderPilots(container: HTMLElement, params: URLSearchParams): Dispose {
  const filter = {
    status: params.get('status') ?? '',
    site: params.get('site') ?? '',
    ce: params.get('ce') ?? '',
    page: Math.max(1, Number(params.get('page')) || 1),
  };
  const go = (next: Partial<typeof filter>) => {
    const merged = { ...filter, page: 1, ...next };
    const query = new URLSearchParams(
      Object.entries(merged).filter(([k, v]) => v !== '' && !(k === 'page' && v === 1)) as [string, string][],
    );
    location.hash = `#/pilots?${query}`;
  };
  const search = [
    ...(filter.status ? [{ parameter: 'Status', operator: 'eq', value: filter.status }] : []),
    ...(filter.site ? [{ parameter: 'Site', operator: 'eq', value: filter.site }] : []),
    ...(filter.ce ? [{ parameter: 'GridCE', operator: 'eq', value: filter.ce }] : []),
  ];

  const status = h(
    'select',
    { id: 'p-status', onchange: (e: Event) => go({ status: (e.target as HTMLSelectElement).value }) },
    h('option', { value: '' }, 'Any status'),
    ...pilotStatuses.map((s) => h('option', { value: s, selected: s === filter.status }, s)),
  );
  const site = h('input', { id: 'p-site', value: filter.site, placeholder: 'Any site' });
  const ce = h('input', { id: 'p-ce', value: filter.ce, placeholder: 'Any CE' });
  const form = h(
    'form',
    {
      class: 'filters pilot-filters',
      role: 'search',
      'aria-label': 'Pilot filter',
      onsubmit: (event: Event) => {
        event.preventDefault();
        go({ status: status.value, site: site.value.trim(), ce: ce.value.trim() });
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'p-status' }, 'Status'), status),
    h(
      'div',
      { class: 'field-grid' },
      h('div', { class: 'field' }, h('label', { for: 'p-site' }, 'Site'), site),
      h('div', { class: 'field' }, h('label', { for: 'p-ce' }, 'Computing element'), ce),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Apply')),
    ),
  );
  const charts = h('section', { class: 'chart-row', 'aria-label': 'Pilot summary' });
  const tbody = h('tbody');
  const note = h('p', { class: 'muted', id: 'pilot-status', 'aria-live': 'polite' }, 'Loading pilots…');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  replaceChildren(
    container,
    h('h1', {}, 'Pilots'),
    form,
    h('details', { class: 'panel', open: true }, h('summary', {}, 'Summary'), charts),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid', id: 'pilot-table' },
        h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
        tbody,
      ),
    ),
    note,
    pager,
  );

  const load = async () => {
    try {
      const summary = (column: string) =>
        api<({ count: number } & Row)[]>('/api/pilots/summary', {
          json: { grouping: [column], search },
        }).then(({ body }) => body.map((r) => ({ label: String(r[column] ?? ''), count: r.count })));
      const [bySite, byCe, byStatus, answer] = await Promise.all([
        summary('Site'),
        summary('GridCE'),
        summary('Status'),
        api<Row[]>('/api/pilots/search', {
          query: { page: filter.page, per_page: perPage },
          json: { parameters: columns, search, sort: [{ parameter: 'LastUpdateTime', direction: 'desc' }] },
        }),
      ]);
      replaceChildren(
        charts,
        barChart('By status', byStatus, { status: true, onPick: (v) => go({ status: v }) }),
        barChart('By site', bySite, { onPick: (v) => go({ site: v }) }),
        barChart('By computing element', byCe, { onPick: (v) => go({ ce: v }) }),
      );
      const rows = Array.isArray(answer.body) ? answer.body : [];
      const range = parseContentRange(answer.headers.get('content-range'), rows.length);
      replaceChildren(
        tbody,
        rows.map((row) =>
          h(
            'tr',
            {},
            ...columns.map((c) => {
              const value = row[c];
              if (c === 'PilotReference')
                return h(
                  'td',
                  {},
                  h('a', { href: `#/pilots/${encodeURIComponent(String(value))}` }, String(value)),
                );
              if (c === 'Status') return h('td', {}, statusBadge(value));
              if (c.endsWith('Time')) return h('td', { class: 'time' }, formatTime(value));
              return h('td', { class: typeof value === 'number' ? 'num' : undefined }, value ?? '');
            }),
          ),
        ),
      );
      replaceChildren(
        note,
        range.total === 0
          ? 'No pilots match.'
          : `Pilots ${range.first + 1}–${range.last + 1} of ${range.total}`,
      );
      const pages = Math.max(1, Math.ceil(range.total / perPage));
      replaceChildren(
        pager,
        h(
          'button',
          { type: 'button', disabled: filter.page <= 1, onclick: () => go({ page: filter.page - 1 }) },
          '‹ Previous',
        ),
        h('span', {}, `Page ${filter.page} of ${pages}`),
        h(
          'button',
          { type: 'button', disabled: filter.page >= pages, onclick: () => go({ page: filter.page + 1 }) },
          'Next ›',
        ),
      );
    } catch (error) {
      replaceChildren(note, h('span', { class: 'error' }, messageOf(error)));
    }
  };
  void load();
  return every(15, load);
}

interface PilotInfo {
  pilotReference: string;
  pilotStamp: string;
  vo: string;
  site: string;
  gridCE: string;
  ceType: string;
  queue?: string;
  batchJobId?: string;
  version: string;
  status: string;
  statusReason: string;
  resources: { cores?: number; memoryMb?: number; diskMb?: number; wallClockSeconds?: number };
  submittedAt?: string;
  registeredAt: string;
  lastSeenAt: string;
  updatedAt: string;
  jobIds: number[];
  logKey?: string;
}

export function renderPilot(container: HTMLElement, _params: URLSearchParams, reference?: string): undefined {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replaceChildren(container, h('p', {}, h('a', { href: '#/pilots' }, '← Pilots')), body);
  const load = async () => {
    try {
      const { body: pilot } = await api<PilotInfo>('/api/pilots/info', {
        query: { reference: reference ?? '' },
      });
      const log = h('div', { id: 'pilot-log' });
      replaceChildren(
        body,
        h(
          'h1',
          {},
          'Pilot ',
          h('span', { class: 'muted' }, pilot.pilotReference),
          ' ',
          statusBadge(pilot.status),
        ),
        h(
          'div',
          { class: 'columns-2' },
          h(
            'section',
            { class: 'card', 'aria-label': 'Pilot' },
            h('h2', {}, 'Pilot'),
            definitionTable([
              ['Status', `${pilot.status}${pilot.statusReason ? ` · ${pilot.statusReason}` : ''}`],
              [
                'Site / CE',
                `${pilot.site} / ${pilot.gridCE} (${pilot.ceType}${pilot.queue ? `, ${pilot.queue}` : ''})`,
              ],
              ['Batch job', pilot.batchJobId ?? '—'],
              ['Version', pilot.version],
              ['Cores / memory', `${pilot.resources.cores ?? '?'} / ${pilot.resources.memoryMb ?? '?'} MB`],
              ['Submitted', formatTime(pilot.submittedAt)],
              ['Registered', formatTime(pilot.registeredAt)],
              ['Last seen', formatTime(pilot.lastSeenAt)],
            ]),
          ),
          h(
            'section',
            { class: 'card', 'aria-label': 'Jobs' },
            h('h2', {}, `Jobs (${pilot.jobIds.length})`),
            pilot.jobIds.length === 0
              ? h('p', { class: 'muted' }, 'No job of yours ran in this pilot.')
              : h(
                  'ul',
                  { id: 'pilot-jobs' },
                  ...pilot.jobIds.map((id) => h('li', {}, h('a', { href: `#/jobs/${id}` }, `Job ${id}`))),
                ),
            h('h2', {}, 'Log'),
            pilot.logKey
              ? h(
                  'button',
                  { type: 'button', onclick: () => void showLog(pilot.pilotReference, log) },
                  'Show the log',
                )
              : h('p', { class: 'muted' }, 'The pilot has not uploaded a log yet.'),
            log,
          ),
        ),
      );
    } catch (error) {
      showFailure(body, error);
    }
  };
  void load();
  return undefined;
}

/** The log through its presigned URL (`GET /api/pilots/logs`), shown in the page. */
async function showLog(reference: string, target: HTMLElement): Promise<void> {
  try {
    const { body } = await api<{ url: string }>('/api/pilots/logs', { query: { reference } });
    const response = await fetch(body.url);
    const text = await response.text();
    replaceChildren(
      target,
      h('pre', {}, text.slice(-200_000)),
      h('a', { href: body.url, download: `${reference}.log` }, 'Download'),
    );
  } catch (error) {
    replaceChildren(target, h('p', { class: 'error' }, messageOf(error)));
  }
}
