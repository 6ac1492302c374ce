/**
 * The production monitor (DIRAC WebApp's TransformationMonitor / ProductionMonitor): productions
 * with their steps, and one production's progress per step, files Unused / Assigned / Processed /
 * Problematic and jobs by status, updated every few seconds while the page is open, with the
 * processed files of each step plotted over the time the page has watched.
 */
import { api } from '../api.ts';
import { barChart, palette, timeChart } from '../charts.ts';
import { refusedSteps } from '../detail.ts';
import { definitionTable, formatTime, h, replaceChildren, statusBadge } from '../dom.ts';
import { type Dispose, every, messageOf, showFailure } from '../page.ts';

interface ProductionSummary {
  productionId: string;
  name: string;
  owner: string;
  ownerGroup: string;
  requested: string;
  steps: { step: string; transformationId?: number; from: string[] }[];
  createdAt: string;
  updatedAt: string;
}

interface StepView {
  step: string;
  transformationId?: number;
  type: string;
  state: string;
  files: { Assigned: number; Unused: number; Processed: number; Problematic: number };
  jobs: Record<string, number>;
  tasks?: number;
  taskCounts?: Record<string, number>;
}

interface ProductionView {
  productionId: string;
  name: string;
  owner: string;
  state: string;
  createdAt: string;
  steps: StepView[];
}

export function renderProductions(container: HTMLElement): Dispose {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replaceChildren(container, h('h1', {}, 'Productions'), body);
  const load = async () => {
    try {
      const { body: answer } = await api<{ productions: ProductionSummary[] }>('/api/productions', {
        query: { limit: 200 },
      });
      const rows = answer.productions;
      replaceChildren(
        body,
        rows.length === 0
          ? h('p', { class: 'muted' }, 'No production yet: `muon production submit` makes one.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'grid', id: 'production-table' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ...['ID', 'Name', 'Owner', 'Requested', 'Steps', 'Created', 'Updated'].map((c) =>
                      h('th', { scope: 'col' }, c),
                    ),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  ...rows.map((p) =>
                    h(
                      'tr',
                      {},
                      h(
                        'td',
                        { class: 'num' },
                        h('a', { href: `#/productions/${p.productionId}` }, p.productionId),
                      ),
                      h('td', {}, p.name),
                      h('td', {}, `${p.owner} (${p.ownerGroup})`),
                      h('td', {}, statusBadge(p.requested)),
                      h('td', {}, p.steps.map((s) => s.step).join(' → ')),
                      h('td', { class: 'time' }, formatTime(p.createdAt)),
                      h('td', { class: 'time' }, formatTime(p.updatedAt)),
                    ),
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      showFailure(body, error);
    }
  };
  void load();
  return every(10, load);
}

const fileColors = { Processed: '#16a34a', Assigned: '#2563eb', Unused: '#9ca3af', Problematic: '#dc2626' };

export function renderProduction(container: HTMLElement, _params: URLSearchParams, id?: string): Dispose {
  const actionResult = h('div', { id: 'action-result', role: 'status' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  replaceChildren(
    container,
    h('p', {}, h('a', { href: '#/productions' }, '← Productions')),
    actionResult,
    body,
  );
  // Processed files per step, sampled at each refresh while the page is open.
  const samples: { time: number; processed: number[] }[] = [];
  let last: string | undefined;

  const load = async () => {
    try {
      const { body: view } = await api<ProductionView>(`/api/productions/${id}`);
      samples.push({ time: Date.now() / 1000, processed: view.steps.map((s) => s.files.Processed) });
      if (samples.length > 720) samples.shift();
      // Redrawn only when the production changed, so the page is still between updates.
      const fingerprint = JSON.stringify(view);
      if (fingerprint === last) return;
      last = fingerprint;
      replaceChildren(body, ...productionSections(view, act));
    } catch (error) {
      showFailure(body, error);
    }
  };

  const act = async (action: 'start' | 'stop' | 'clean') => {
    if (!confirm(`${action[0]?.toUpperCase()}${action.slice(1)} production ${id}?`)) return;
    try {
      const { body: answer } = await api<{ steps: { step: string; done: boolean; message?: string }[] }>(
        `/api/productions/${id}/${action}`,
        { method: 'POST' },
      );
      // Some steps may have refused while others took it: say which.
      const refused = refusedSteps(answer.steps ?? []);
      replaceChildren(
        actionResult,
        h('p', { class: 'ok' }, `Production ${id}: ${action} requested.`),
        refused.length > 0 ? h('ul', { class: 'error' }, ...refused.map((line) => h('li', {}, line))) : null,
      );
    } catch (error) {
      replaceChildren(actionResult, h('p', { class: 'error', role: 'alert' }, messageOf(error)));
    }
    await load();
  };

  function productionSections(view: ProductionView, onAction: typeof act): HTMLElement[] {
    const totals = view.steps.reduce((sum, s) => sum + s.files.Processed, 0);
    return [
      h(
        'h1',
        {},
        `Production ${view.productionId} `,
        h('span', { class: 'muted' }, view.name),
        ' ',
        statusBadge(view.state),
      ),
      h(
        'div',
        { class: 'job-actions' },
        h('button', { type: 'button', onclick: () => void onAction('start') }, 'Start'),
        h('button', { type: 'button', onclick: () => void onAction('stop') }, 'Stop'),
        h('button', { type: 'button', onclick: () => void onAction('clean') }, 'Clean'),
        h(
          'span',
          { class: 'muted' },
          `Owner ${view.owner} · created ${formatTime(view.createdAt)} · ${totals} files processed · live every 5 s`,
        ),
      ),
      h(
        'div',
        { class: 'legend' },
        ...Object.entries(fileColors).map(([name, color]) =>
          h('span', {}, h('i', { style: `background:${color}` }), name),
        ),
      ),
      h('div', { id: 'production-steps' }, ...view.steps.map(stepCard)),
      timeChart(
        'Processed files per step while watched',
        samples.map((s) => s.time),
        view.steps.map((step, i) => ({
          label: step.step,
          color: palette[i % palette.length] as string,
          values: samples.map((s) => s.processed[i] ?? null),
        })),
        { height: 160, yLabel: 'files' },
      ),
    ];
  }

  void load();
  return every(5, load);
}

function stepCard(step: StepView): HTMLElement {
  const total = Object.values(step.files).reduce((a, b) => a + b, 0);
  const order = ['Processed', 'Assigned', 'Unused', 'Problematic'] as const;
  const done = total === 0 ? 0 : Math.round((step.files.Processed / total) * 100);
  return h(
    'section',
    { class: 'card step', 'data-step': step.step, 'aria-label': `Step ${step.step}` },
    h('h2', {}, `${step.step} `, statusBadge(step.state), h('span', { class: 'muted' }, ` ${step.type}`)),
    h(
      'div',
      { class: 'columns-2' },
      h(
        'div',
        {},
        h(
          'div',
          { class: 'progress', role: 'img', 'aria-label': `${done}% of ${total} files processed` },
          ...order.map((name) =>
            h('span', {
              title: `${name}: ${step.files[name]}`,
              style: `flex:${total === 0 ? 0 : step.files[name] / total};background:${fileColors[name]}`,
            }),
          ),
        ),
        definitionTable([
          ...order.map((name): [string, string] => [name, String(step.files[name])]),
          ['Transformation', step.transformationId === undefined ? '—' : String(step.transformationId)],
          [
            'Tasks',
            step.taskCounts
              ? Object.entries(step.taskCounts)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')
              : String(step.tasks ?? 0),
          ],
        ]),
      ),
      barChart(
        'Jobs by status',
        Object.entries(step.jobs).map(([label, count]) => ({ label, count })),
        {
          status: true,
          // A transformation's jobs have its id, zero-padded to 8 digits, as their job group (as DIRAC's).
          ...(step.transformationId === undefined
            ? {}
            : {
                onPick: (status: string) => {
                  const group = String(step.transformationId).padStart(8, '0');
                  location.hash = `#/jobs?status=${encodeURIComponent(status)}&jobGroup=${group}`;
                },
              }),
        },
      ),
    ),
  );
}
