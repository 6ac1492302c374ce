/**
 * The job monitor (DIRAC WebApp's JobMonitor): DiracX's search filters in a form and in the search
 * language, the job table (pages by `Content-Range`, sorting, chosen columns, selection with kill,
 * reschedule and delete) and summary charts of the same jobs. Every change of filter, sort or
 * page rewrites the address, so the browser's back button and a new login restore it.
 */
import { ApiError } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { type Dispose, every } from '../page.ts';
import {
  allStatuses,
  defaultFilter,
  filterFromParams,
  filterToParams,
  type JobFilter,
  QuerySyntaxError,
  type SearchSpec,
  searchConditions,
} from '../search.ts';
import { loadJobCharts } from './job-charts.ts';
import { createJobTable } from './job-table.ts';

export function renderJobs(container: HTMLElement, params: URLSearchParams): Dispose {
  const filter = filterFromParams(params);
  const navigate = (next: JobFilter) => {
    location.hash = `#/jobs?${filterToParams(next)}`;
  };

  const filterError = h('p', { id: 'filter-error', class: 'error', role: 'alert', hidden: true });
  const showFilterError = (message: string | undefined) => {
    filterError.hidden = message === undefined;
    filterError.textContent = message ?? '';
    query.setAttribute('aria-invalid', message === undefined ? 'false' : 'true');
  };

  const statusSelect = h(
    'select',
    { id: 'f-status', multiple: true, size: 6, 'aria-describedby': 'filter-error' },
    ...allStatuses.map((s) => h('option', { value: s, selected: filter.status.includes(s) }, s)),
  );
  const text = (id: string, label: string, value: string, placeholder = '') => {
    const input = h('input', { id: `f-${id}`, name: id, value, placeholder, autocomplete: 'off' });
    return { input, field: h('div', { class: 'field' }, h('label', { for: `f-${id}` }, label), input) };
  };
  const site = text('site', 'Site', filter.site, 'LCG.CERN.cern, …');
  const owner = text('owner', 'Owner', filter.owner);
  const group = text('group', 'Group', filter.group);
  const jobGroup = text('jobGroup', 'Job group', filter.jobGroup);
  const jobType = text('jobType', 'Job type', filter.jobType);
  const from = h('input', { id: 'f-from', type: 'datetime-local', value: filter.from });
  const to = h('input', { id: 'f-to', type: 'datetime-local', value: filter.to });
  const query = h('input', {
    id: 'f-query',
    value: filter.query,
    class: 'wide',
    placeholder: 'Site like LCG.% and JobID gt 100 and Status in Waiting,Running',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'filter-error query-help',
  });

  const readForm = (): JobFilter => ({
    ...filter,
    status: [...statusSelect.selectedOptions].map((o) => o.value),
    site: site.input.value.trim(),
    owner: owner.input.value.trim(),
    group: group.input.value.trim(),
    jobGroup: jobGroup.input.value.trim(),
    jobType: jobType.input.value.trim(),
    from: from.value,
    to: to.value,
    query: query.value.trim(),
    page: 1,
  });

  const form = h(
    'form',
    {
      class: 'filters',
      role: 'search',
      'aria-label': 'Job filter',
      onsubmit: (event: Event) => {
        event.preventDefault();
        navigate(readForm());
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'f-status' }, 'Status'), statusSelect),
    h(
      'div',
      { class: 'field-grid' },
      site.field,
      owner.field,
      group.field,
      jobGroup.field,
      jobType.field,
      h('div', { class: 'field' }, h('label', { for: 'f-from' }, 'Submitted after'), from),
      h('div', { class: 'field' }, h('label', { for: 'f-to' }, 'Submitted before'), to),
    ),
    h(
      'div',
      { class: 'field query' },
      h('label', { for: 'f-query' }, 'Search'),
      query,
      h(
        'small',
        { id: 'query-help', class: 'muted' },
        'Column operator value, joined by "and": eq, neq, gt, lt, like (% and _), not like, regex, in, not in. Press / to get here.',
      ),
      filterError,
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'apply' }, 'Apply'),
      h(
        'button',
        { type: 'button', onclick: () => navigate({ ...defaultFilter(), columns: filter.columns }) },
        'Reset',
      ),
    ),
  );

  let conditions: SearchSpec[] = [];
  try {
    conditions = searchConditions(filter);
  } catch (error) {
    if (!(error instanceof QuerySyntaxError)) throw error;
    showFilterError(error.message);
  }

  const charts = h('section', { class: 'charts', 'aria-label': 'Summary charts' });
  const chartsPanel = h('details', { class: 'panel', open: true }, h('summary', {}, 'Summary'), charts);
  const table = createJobTable({
    filter,
    conditions,
    navigate,
    // A refused filter is the user's to fix: its message goes next to the filter.
    onRefused: (error) => {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 416)
        showFilterError(error.message);
      else return false;
      return true;
    },
  });

  replaceChildren(container, h('h1', {}, 'Jobs'), form, chartsPanel, table.element);

  const shortcut = (event: KeyboardEvent) => {
    const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
    if (event.key === '/' && !typing) {
      event.preventDefault();
      query.focus();
    }
  };
  document.addEventListener('keydown', shortcut);

  if (filterError.hidden) {
    void table.load();
    const pick = (column: keyof JobFilter) => (value: string) =>
      navigate({ ...filter, page: 1, [column]: column === 'status' ? [value] : value });
    void loadJobCharts(charts, conditions, {
      status: pick('status'),
      site: pick('site'),
      owner: pick('owner'),
    });
  }
  const auto = every(15, async () => {
    if (table.autoRefresh()) await table.load();
  });
  return () => {
    auto();
    document.removeEventListener('keydown', shortcut);
  };
}
