/**
 * One job (DIRAC WebApp's job attributes, parameters, logging info and heartbeat plots): its
 * attributes, why it is not running (the matcher's own verdict), its status history as a timeline,
 * heartbeat plots (CPU, memory, wall time), description, parameters, sandboxes and outputs, and the
 * pilot that ran it. It follows the job live until the job reaches a final status.
 */
import { api, bulkAction } from '../api.ts';
import { palette, statusColors, timeChart } from '../charts.ts';
import { definitionTable, formatDuration, formatTime, h, replaceChildren, statusBadge } from '../dom.ts';
import { type Dispose, every, messageOf, showFailure } from '../page.ts';

interface LoggingEntry {
  Status: string;
  MinorStatus: string;
  ApplicationStatus: string;
  StatusTime: string;
  Source: string;
}

type Job = Record<string, unknown> & {
  JobID: number;
  Status: string;
  Parameters: Record<string, string | number>;
  Description: Record<string, unknown>;
  LoggingInfo: LoggingEntry[];
};

interface Heartbeat {
  Time: string;
  CPUConsumed?: number;
  MemoryUsed?: number;
  Vsize?: number;
  WallClockTime?: number;
  LoadAverage?: number;
}

const finalStatuses = new Set(['Done', 'Failed', 'Killed', 'Deleted']);
const notYetRunning = new Set(['Received', 'Checking', 'Staging', 'Waiting', 'Matched', 'Rescheduled']);

export function renderJob(container: HTMLElement, _params: URLSearchParams, id?: string): Dispose {
  const jobId = Number(id);
  const actionResult = h('div', { id: 'action-result', role: 'status' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replaceChildren(container, h('p', {}, h('a', { href: '#/jobs' }, '← Jobs')), actionResult, body);
  let last: string | undefined;

  const load = async () => {
    try {
      const [{ body: job }, beats] = await Promise.all([
        api<Job>(`/api/jobs/${jobId}`),
        api<Heartbeat[]>(`/api/jobs/${jobId}/heartbeats`).then(
          (a) => a.body,
          () => [],
        ),
      ]);
      // Redraw only when something changed, so the charts do not flicker every few seconds.
      const fingerprint = JSON.stringify([job.Status, job.LastUpdateTime, job.HeartBeatTime, beats.length]);
      if (fingerprint === last) return;
      last = fingerprint;
      replaceChildren(body, ...(await jobSections(job, beats, act)));
    } catch (error) {
      showFailure(body, error);
    }
  };

  const act = async (action: 'kill' | 'reschedule' | 'delete') => {
    if (!confirm(`${action[0]?.toUpperCase()}${action.slice(1)} job ${jobId}?`)) return;
    try {
      const failure = (await bulkAction(action, [jobId])).failed?.[jobId];
      replaceChildren(
        actionResult,
        failure
          ? h('p', { class: 'error', role: 'alert' }, `Job ${jobId}: ${failure.detail}`)
          : h('p', { class: 'ok' }, `Job ${jobId}: ${action} requested.`),
      );
    } catch (error) {
      replaceChildren(actionResult, h('p', { class: 'error', role: 'alert' }, messageOf(error)));
    }
    await load();
  };

  void load();
  return every(5, load);
}

async function jobSections(
  job: Job,
  beats: Heartbeat[],
  act: (action: 'kill' | 'reschedule' | 'delete') => Promise<void>,
): Promise<HTMLElement[]> {
  const parameters = job.Parameters ?? {};
  const pilot = parameters.Pilot_Reference;
  const attributes = definitionTable([
    ['Status', h('span', {}, statusBadge(job.Status), ' ', String(job.MinorStatus ?? ''))],
    ['Application status', String(job.ApplicationStatus ?? '')],
    ['Owner', `${job.Owner} (${job.OwnerGroup}, ${job.VO})`],
    ['Job type / group', `${job.JobType ?? ''} / ${job.JobGroup || '—'}`],
    ['Site', String(job.Site ?? '')],
    ['Pilot', pilot ? h('a', { href: `#/pilots/${encodeURIComponent(String(pilot))}` }, String(pilot)) : '—'],
    ['Submitted', formatTime(job.SubmissionTime)],
    ['Started', formatTime(job.StartExecTime)],
    ['Ended', formatTime(job.EndExecTime)],
    ['Last heartbeat', formatTime(job.HeartBeatTime)],
    ['Rescheduled', String(job.RescheduleCounter ?? 0)],
    ['Task queue', String(job.TaskQueueID ?? '—')],
  ]);
  const final = finalStatuses.has(job.Status);
  const sections: HTMLElement[] = [
    h('h1', {}, `Job ${job.JobID} `, h('span', { class: 'muted' }, String(job.JobName ?? ''))),
    h(
      'div',
      { class: 'job-actions' },
      h(
        'button',
        { type: 'button', id: 'job-kill', disabled: final, onclick: () => void act('kill') },
        'Kill',
      ),
      h(
        'button',
        { type: 'button', id: 'job-reschedule', onclick: () => void act('reschedule') },
        'Reschedule',
      ),
      h(
        'button',
        {
          type: 'button',
          id: 'job-delete',
          disabled: job.Status === 'Deleted',
          onclick: () => void act('delete'),
        },
        'Delete',
      ),
    ),
  ];
  const left = [card('Attributes', attributes)];
  if (notYetRunning.has(job.Status)) left.push(await whyNotRunning(job.JobID));
  left.push(card('Sandboxes and outputs', await downloads(job.JobID)));
  const right = [historyCard(carryIdem(job.LoggingInfo ?? [])), heartbeatCard(beats)];
  sections.push(h('div', { class: 'columns-2' }, h('div', {}, ...left), h('div', {}, ...right)));
  sections.push(
    h(
      'div',
      { class: 'columns-2' },
      card('Description', h('pre', { id: 'job-description' }, describe(job.Description))),
      card(
        'Parameters',
        definitionTable(
          Object.entries(parameters)
            .filter(([k]) => k !== 'StandardOutput')
            .map(([k, v]) => [k, String(v)]),
        ),
        parameters.StandardOutput !== undefined
          ? h(
              'details',
              {},
              h('summary', {}, 'Last output of the payload'),
              h('pre', {}, String(parameters.StandardOutput)),
            )
          : null,
      ),
    ),
  );
  return sections;
}

const card = (title: string, ...content: (HTMLElement | null)[]) =>
  h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), ...content);

/** The JDL as written, or a CWL job's inputs and workflow id (its document lives in the workflows table). */
function describe(description: Record<string, unknown>): string {
  if (typeof description?.jdl === 'string') return description.jdl;
  return JSON.stringify(description, null, 2);
}

/**
 * DIRAC's "idem" in a history entry means "as before": shown as the value it stands for, as
 * `muon job logging` shows it, in time order.
 */
function carryIdem(history: LoggingEntry[]): LoggingEntry[] {
  const sorted = [...history].sort((a, b) =>
    a.StatusTime < b.StatusTime ? -1 : a.StatusTime > b.StatusTime ? 1 : 0,
  );
  const out: LoggingEntry[] = [];
  for (const entry of sorted) {
    const previous = out.at(-1);
    const carried = (value: string, before: string | undefined) =>
      value === 'idem' && before !== undefined ? before : value;
    out.push({
      ...entry,
      Status: carried(entry.Status, previous?.Status),
      MinorStatus: carried(entry.MinorStatus, previous?.MinorStatus),
      ApplicationStatus: carried(entry.ApplicationStatus, previous?.ApplicationStatus ?? 'Unknown'),
    });
  }
  return out;
}

function historyCard(history: LoggingEntry[]): HTMLElement {
  const times = history.map((e) => Date.parse(e.StatusTime));
  const end = Math.max(Date.now(), ...times);
  const spans = history.map((entry, i) => ({ entry, start: times[i] ?? 0, end: times[i + 1] ?? end }));
  const total = Math.max(1, end - (times[0] ?? end));
  const timeline = h(
    'div',
    {
      class: 'timeline',
      role: 'img',
      'aria-label': `Status timeline: ${spans.map((s) => s.entry.Status).join(', ')}`,
    },
    ...spans.map(({ entry, start, end: stop }) =>
      h('span', {
        title: `${entry.Status} · ${entry.MinorStatus} · ${formatDuration((stop - start) / 1000)}`,
        style: `flex:${Math.max(0.01, (stop - start) / total)};background:${statusColors[entry.Status] ?? '#9ca3af'}`,
      }),
    ),
  );
  return card(
    'Status history',
    timeline,
    h(
      'ol',
      { class: 'history', id: 'job-history' },
      ...spans.map(({ entry, start, end: stop }) =>
        h(
          'li',
          {},
          statusBadge(entry.Status),
          ` ${entry.MinorStatus}`,
          entry.ApplicationStatus && entry.ApplicationStatus !== 'Unknown'
            ? ` · ${entry.ApplicationStatus}`
            : '',
          h('br'),
          h(
            'small',
            { class: 'muted' },
            `${formatTime(entry.StatusTime)} · ${entry.Source} · ${formatDuration((stop - start) / 1000)}`,
          ),
        ),
      ),
    ),
  );
}

function heartbeatCard(beats: Heartbeat[]): HTMLElement {
  if (beats.length === 0)
    return card(
      'Heartbeats',
      h('p', { class: 'muted', id: 'no-heartbeats' }, 'No heartbeat yet: the job has not run.'),
    );
  const times = beats.map((b) => Date.parse(b.Time) / 1000);
  const line = (label: string, key: keyof Heartbeat, color: string, scale = 1) => ({
    label,
    color,
    values: beats.map((b) => (typeof b[key] === 'number' ? (b[key] as number) * scale : null)),
  });
  return card(
    'Heartbeats',
    h(
      'div',
      { id: 'heartbeat-plots' },
      timeChart(
        'CPU and wall time (s)',
        times,
        [
          line('CPU consumed', 'CPUConsumed', palette[0] as string),
          line('Wall clock', 'WallClockTime', palette[1] as string),
        ],
        { height: 150, yLabel: 's' },
      ),
      timeChart(
        'Memory (MB)',
        times,
        [
          line('Memory used', 'MemoryUsed', palette[2] as string),
          line('Virtual size', 'Vsize', palette[3] as string),
        ],
        { height: 150, yLabel: 'MB' },
      ),
      timeChart('Load average', times, [line('Load average', 'LoadAverage', palette[4] as string)], {
        height: 120,
      }),
    ),
  );
}

async function whyNotRunning(jobId: number): Promise<HTMLElement> {
  try {
    const { body } = await api<{
      Message: string;
      Waiting: boolean;
      Matching?: { Site: string; GridCE: string; LastSeen: string }[];
      NotMatching?: { Site: string; GridCE: string; LastSeen: string; Reason: string }[];
    }>(`/api/jobs/${jobId}/matching`);
    const rows = [
      ...(body.Matching ?? []).map((p) => [p.Site, p.GridCE, formatTime(p.LastSeen), 'would match']),
      ...(body.NotMatching ?? []).map((p) => [p.Site, p.GridCE, formatTime(p.LastSeen), p.Reason]),
    ];
    return card(
      'Why is it not running?',
      h('p', { id: 'why-message' }, body.Message),
      rows.length > 0
        ? h(
            'table',
            { class: 'grid' },
            h(
              'thead',
              {},
              h('tr', {}, ...['Site', 'CE', 'Pilot last seen', 'Verdict'].map((c) => h('th', {}, c))),
            ),
            h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
          )
        : null,
    );
  } catch (error) {
    return card('Why is it not running?', h('p', { class: 'muted' }, messageOf(error)));
  }
}

async function downloads(jobId: number): Promise<HTMLElement> {
  const list = h('ul', { id: 'job-downloads' });
  const [sandboxes, outputs] = await Promise.allSettled([
    api<{ Input: string[]; Output: string[] }>(`/api/jobs/${jobId}/sandbox`),
    api<unknown>(`/api/jobs/${jobId}/outputs`),
  ]);
  if (sandboxes.status === 'fulfilled') {
    for (const kind of ['Input', 'Output'] as const) {
      for (const pfn of sandboxes.value.body[kind] ?? []) {
        const button = h(
          'button',
          { type: 'button', class: 'link', onclick: () => void download(pfn, button) },
          `${kind} sandbox`,
        );
        list.append(h('li', {}, button, h('small', { class: 'muted' }, ` ${pfn.split('/').pop()}`)));
      }
    }
  }
  const outputBlock =
    outputs.status === 'fulfilled' && outputs.value.body
      ? h(
          'details',
          {},
          h('summary', {}, 'Output object'),
          h('pre', { id: 'job-outputs' }, JSON.stringify(outputs.value.body, null, 2)),
        )
      : null;
  if (list.childElementCount === 0 && !outputBlock)
    return h('p', { class: 'muted' }, 'No sandbox or output yet.');
  return h('div', {}, list, outputBlock);
}

/** A sandbox is read through a short-lived presigned URL the API hands out (`GET /api/jobs/sandbox`). */
async function download(pfn: string, button: HTMLElement): Promise<void> {
  try {
    const { body } = await api<{ url: string }>('/api/jobs/sandbox', { query: { pfn } });
    location.assign(body.url);
  } catch (error) {
    button.after(h('span', { class: 'error' }, ` ${messageOf(error)}`));
  }
}
