/**
 * The job routes as the `muon job` commands use them. Calls that need a request header
 * (`Idempotency-Key`) or an error answer's body (416, per-job failures) use `client.send`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiClient, type ApiResponse, type ClientOptions, refusal, resolveClient } from '#cli/client.ts';
import { bulkAnswerUnfinished } from '#shared/jobs/retryable-failures.ts';

export interface InsertedJob {
  JobID: number;
  Status: string;
  MinorStatus: string;
  TimeStamp: string;
}

export interface SearchSpec {
  parameter: string;
  operator: string;
  value?: string | number;
  values?: (string | number)[];
}

export interface SortSpec {
  parameter: string;
  direction: 'asc' | 'desc';
}

export interface SearchParams {
  parameters?: string[];
  search: SearchSpec[];
  sort: SortSpec[];
}

/**
 * Zero-based indices of a page's first and last row (RFC 9110), and the rows over all pages:
 * undefined when the API did not count them (`jobs 0-99/*`, a full page of a large table).
 */
export interface PageRange {
  first: number;
  last: number;
  total: number | undefined;
}

export type BulkAction = 'kill' | 'delete' | 'reschedule';

export interface BulkResult {
  success: Record<string, Record<string, unknown>>;
  failed: Record<string, { detail: string; code?: string }>;
}

export type RawAnswer = ApiResponse<unknown>;

/** How often a submission is re-sent, with the same Idempotency-Key, after a transport or 5xx error. */
const submitAttempts = 3;
/**
 * How often a request the API stopped part-way (a 202 submission, a bulk answer with jobs not
 * attempted) is sent again with its key to finish it; each time does more, so this bounds a stall.
 */
const finishAttempts = 50;

export function createJobApi(options: ClientOptions, env = process.env) {
  const client: ApiClient = resolveClient(options, env);
  const send = client.send;

  const refused = (method: string, path: string, answer: RawAnswer) =>
    refusal(method, path, answer, client.tokenSource);

  /** A POST with its Idempotency-Key, sent again after a transport error or a 5xx. */
  const sendKeyed = async (path: string, body: unknown, key: string): Promise<RawAnswer> => {
    let answer: RawAnswer | undefined;
    let lastError: unknown;
    for (let attempt = 1; attempt <= submitAttempts; attempt += 1) {
      if (attempt > 1) await sleep(500 * 2 ** (attempt - 2));
      try {
        answer = await send('POST', path, body, { 'idempotency-key': key });
      } catch (error) {
        lastError = error;
        continue;
      }
      if (answer.status < 500) break;
    }
    if (!answer) throw lastError;
    return answer;
  };

  /** `sendKeyed` again, with the same key, while the answer says the API stopped part-way. */
  const sendUntilFinished = async (
    path: string,
    body: unknown,
    key: string,
    partial: (answer: RawAnswer) => boolean,
  ): Promise<RawAnswer> => {
    let answer = await sendKeyed(path, body, key);
    for (let round = 1; round < finishAttempts && partial(answer); round += 1) {
      answer = await sendKeyed(path, body, key);
    }
    return answer;
  };

  return {
    client,

    /**
     * `POST /api/jobs` or `/api/jobs/jdl`, re-sent with the same key when the answer is lost, and
     * while the API answers 202 (it stopped part-way within its time budget: the same request with
     * the same key writes the rest).
     */
    async submit(path: string, body: unknown, idempotencyKey: string): Promise<InsertedJob[]> {
      const answer = await sendUntilFinished(path, body, idempotencyKey, (a) => a.status === 202);
      if (answer.status !== 201) throw refused('POST', path, answer);
      return answer.body as InsertedJob[];
    },

    /** One page of a search; a page past the end (416) has no rows and `first` -1. */
    async search(
      params: SearchParams,
      page: number,
      perPage: number,
    ): Promise<{ rows: Record<string, unknown>[]; range: PageRange }> {
      const path = `/api/jobs/search?page=${page}&per_page=${perPage}`;
      const answer = await send('POST', path, params);
      if (answer.status !== 200 && answer.status !== 206 && answer.status !== 416) {
        throw refused('POST', '/api/jobs/search', answer);
      }
      const rows = Array.isArray(answer.body) ? (answer.body as Record<string, unknown>[]) : [];
      const range = parseContentRange(answer.headers.get('content-range'));
      return {
        rows,
        range: range ?? { first: rows.length > 0 ? 0 : -1, last: rows.length - 1, total: rows.length },
      };
    },

    async summary(grouping: string[], search: SearchSpec[]): Promise<Record<string, unknown>[]> {
      const { body } = await client.request<Record<string, unknown>[]>('POST', '/api/jobs/summary', {
        grouping,
        search,
      });
      return body;
    },

    async job(jobId: number): Promise<Record<string, unknown>> {
      const { body } = await client.request<Record<string, unknown>>('GET', `/api/jobs/${jobId}`);
      return body;
    },

    /**
     * Kill, delete or reschedule. The API answers 200 with `{success, failed}` when any job changed,
     * otherwise an error whose detail is the one failure or the whole result: both become a result.
     */
    async bulk(action: BulkAction, jobIds: number[]): Promise<{ raw: unknown; result: BulkResult }> {
      const path = `/api/jobs/${action}`;
      // One key for every send: the API does each job once, and answers for all of them.
      const key = randomUUID();
      const answer = await sendUntilFinished(path, { job_ids: jobIds }, key, unfinished);
      if (answer.status === 200) return { raw: answer.body, result: answer.body as BulkResult };
      const detail = (answer.body as { detail?: unknown } | undefined)?.detail;
      if (answer.status >= 500 || answer.status === 401 || detail === undefined) {
        throw refused('POST', path, answer);
      }
      if (isBulkResult(detail)) return { raw: answer.body, result: detail };
      const [only] = jobIds;
      if (jobIds.length === 1 && typeof detail === 'string' && only !== undefined) {
        return { raw: answer.body, result: { success: {}, failed: { [only]: { detail } } } };
      }
      throw refused('POST', path, answer);
    },
  };
}

export type JobApi = ReturnType<typeof createJobApi>;

/** A bulk answer with jobs the API did not reach within its budget, or that its store failed. */
const unfinished = (answer: RawAnswer): boolean => bulkAnswerUnfinished(answer.status, answer.body);

const isBulkResult = (value: unknown): value is BulkResult =>
  typeof value === 'object' && value !== null && 'success' in value && 'failed' in value;

// `jobs 0-9/42` is {first: 0, last: 9, total: 42}; `jobs */42` (a page past the end) has first -1;
// `jobs 0-9/*` has no total.
export function parseContentRange(header: string | null): PageRange | undefined {
  const match = header?.match(/^\w+ (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/);
  if (!match) return undefined;
  const [, first, last, length] = match;
  const total = length === '*' ? undefined : Number(length);
  if (first === undefined || last === undefined)
    return total === undefined ? undefined : { first: -1, last: -1, total };
  return { first: Number(first), last: Number(last), total };
}
