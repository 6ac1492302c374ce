/**
 * The job monitor's filter, kept in the page's address (`#/jobs?status=Waiting&site=...`) so that a
 * reload, a shared link or a new login comes back to the same jobs, and turned into DiracX's search
 * body (`search`, `sort`, `parameters`). The free-text box takes the search language itself, one
 * condition per clause: `Site like LCG.% and JobID gt 100 and Status in Waiting,Running`.
 */
export interface SearchSpec {
  parameter: string;
  operator: string;
  value?: string;
  values?: string[];
}

export interface JobFilter {
  status: string[];
  site: string;
  owner: string;
  group: string;
  jobGroup: string;
  jobType: string;
  /** `YYYY-MM-DDTHH:MM` in the user's time zone (an `<input type="datetime-local">`). */
  from: string;
  to: string;
  /** Conditions in the search language. */
  query: string;
  sort: { column: string; direction: 'asc' | 'desc' };
  page: number;
  perPage: number;
  columns: string[];
}

/** DIRAC's 16 major statuses in level order, as `jobStatuses` in shared/jobs/status.ts (not
 * imported: it would bring zod into the page); a unit test keeps the two equal. */
export const allStatuses = [
  'Submitting',
  'Received',
  'Checking',
  'Scouting',
  'Staging',
  'Waiting',
  'Matched',
  'Rescheduled',
  'Running',
  'Stalled',
  'Completing',
  'Completed',
  'Done',
  'Failed',
  'Killed',
  'Deleted',
];

export const allColumns = [
  'JobID',
  'Status',
  'MinorStatus',
  'ApplicationStatus',
  'Site',
  'JobName',
  'JobType',
  'JobGroup',
  'Owner',
  'OwnerGroup',
  'VO',
  'UserPriority',
  'SubmissionTime',
  'LastUpdateTime',
  'StartExecTime',
  'EndExecTime',
  'HeartBeatTime',
  'RescheduleCounter',
  'RescheduleTime',
];

export const defaultColumns = [
  'JobID',
  'Status',
  'MinorStatus',
  'Site',
  'JobName',
  'Owner',
  'SubmissionTime',
  'LastUpdateTime',
];

export const defaultFilter = (): JobFilter => ({
  status: [],
  site: '',
  owner: '',
  group: '',
  jobGroup: '',
  jobType: '',
  from: '',
  to: '',
  query: '',
  sort: { column: 'JobID', direction: 'desc' },
  page: 1,
  perPage: 50,
  columns: [...defaultColumns],
});

export function filterFromParams(params: URLSearchParams): JobFilter {
  const filter = defaultFilter();
  const list = (name: string) => (params.get(name) ?? '').split(',').filter((v) => v !== '');
  filter.status = list('status');
  for (const key of ['site', 'owner', 'group', 'jobGroup', 'jobType', 'from', 'to', 'query'] as const)
    filter[key] = params.get(key) ?? '';
  const [column, direction] = (params.get('sort') ?? '').split(':');
  if (column && allColumns.includes(column))
    filter.sort = { column, direction: direction === 'asc' ? 'asc' : 'desc' };
  filter.page = Math.max(1, Number(params.get('page')) || 1);
  filter.perPage = [25, 50, 100, 250, 500].includes(Number(params.get('per')))
    ? Number(params.get('per'))
    : 50;
  const columns = list('cols').filter((c) => allColumns.includes(c));
  if (columns.length > 0) filter.columns = columns;
  return filter;
}

export function filterToParams(filter: JobFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (filter.status.length > 0) params.set('status', filter.status.join(','));
  for (const key of ['site', 'owner', 'group', 'jobGroup', 'jobType', 'from', 'to', 'query'] as const)
    if (filter[key] !== '') params.set(key, filter[key]);
  if (filter.sort.column !== 'JobID' || filter.sort.direction !== 'desc')
    params.set('sort', `${filter.sort.column}:${filter.sort.direction}`);
  if (filter.page !== 1) params.set('page', String(filter.page));
  if (filter.perPage !== 50) params.set('per', String(filter.perPage));
  if (filter.columns.join(',') !== defaultColumns.join(',')) params.set('cols', filter.columns.join(','));
  return params;
}

/** The conditions of the filter (the form's fields, then the typed query), or a message saying what is wrong. */
export function searchConditions(filter: JobFilter): SearchSpec[] {
  const specs: SearchSpec[] = [];
  if (filter.status.length > 0) specs.push({ parameter: 'Status', operator: 'in', values: filter.status });
  const fields: [keyof JobFilter, string][] = [
    ['site', 'Site'],
    ['owner', 'Owner'],
    ['group', 'OwnerGroup'],
    ['jobGroup', 'JobGroup'],
    ['jobType', 'JobType'],
  ];
  for (const [key, parameter] of fields) {
    const values = String(filter[key])
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.length === 1 && /[%_]/.test(values[0] as string))
      specs.push({ parameter, operator: 'like', value: values[0] as string });
    else if (values.length > 0) specs.push({ parameter, operator: 'in', values });
  }
  if (filter.from)
    specs.push({ parameter: 'SubmissionTime', operator: 'gt', value: utcTimestamp(filter.from) });
  if (filter.to) specs.push({ parameter: 'SubmissionTime', operator: 'lt', value: utcTimestamp(filter.to) });
  return [...specs, ...parseQuery(filter.query)];
}

export class QuerySyntaxError extends Error {}

const operatorWords: Record<string, string> = {
  '=': 'eq',
  '==': 'eq',
  '!=': 'neq',
  '>': 'gt',
  '<': 'lt',
};

/**
 * `Column operator value` clauses joined by `and` (or `;`). Operators are DiracX's (`eq`, `neq`,
 * `gt`, `lt`, `like`, `not like`, `regex`, `in`, `not in`) or `=`, `!=`, `>`, `<`; `in` takes a
 * comma-separated list. Columns and operators are checked by the API, whose message is shown.
 */
export function parseQuery(text: string): SearchSpec[] {
  const clauses = text
    .split(/\s+and\s+|;/i)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return clauses.map((clause) => {
    const match = /^([A-Za-z]+)\s*(not\s+like|not\s+in|==|!=|=|>|<|[A-Za-z]+)\s*(.*)$/i.exec(clause);
    if (!match || (match[3] ?? '').trim() === '')
      throw new QuerySyntaxError(
        `"${clause}" is not a condition: write Column operator value, e.g. Site like LCG.%`,
      );
    const [, parameter, rawOperator, rawValue] = match as unknown as [string, string, string, string];
    const operator = operatorWords[rawOperator] ?? rawOperator.toLowerCase().replace(/\s+/, ' ');
    const unquote = (v: string) => v.trim().replace(/^(['"])(.*)\1$/, '$2');
    if (operator === 'in' || operator === 'not in')
      return {
        parameter,
        operator,
        values: rawValue
          .split(',')
          .map(unquote)
          .filter((v) => v !== ''),
      };
    return { parameter, operator, value: unquote(rawValue) };
  });
}

/** A local `datetime-local` value as the API's UTC timestamp (`YYYY-MM-DD HH:MM:SS`). */
export function utcTimestamp(local: string): string {
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return local;
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
