/**
 * The API client of the pages: the user's token on every call, the API's `{"detail": ...}` as the
 * error's message, and `Content-Range` read into a page's place in the whole. A 401 means the
 * session is over: the caller is told (`onUnauthorized`) so it can log in again from where it is.
 */
import { currentSession } from './auth.ts';
import { type BulkResult, finishBulk } from './bulk.ts';
import { describeDetail } from './detail.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class SessionExpiredError extends Error {}

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

export interface ApiAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export async function api<T>(
  path: string,
  init: {
    method?: string;
    json?: unknown;
    query?: Record<string, string | number>;
    idempotencyKey?: string;
  } = {},
): Promise<ApiAnswer<T>> {
  const session = currentSession();
  if (!session) {
    onUnauthorized();
    throw new SessionExpiredError('Your session has ended; log in again.');
  }
  const query = init.query
    ? `?${new URLSearchParams(Object.entries(init.query).map(([k, v]) => [k, String(v)]))}`
    : '';
  const response = await fetch(`${path}${query}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers: {
      authorization: `Bearer ${session.accessToken}`,
      ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.idempotencyKey === undefined ? {} : { 'idempotency-key': init.idempotencyKey }),
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: the text is the body.
  }
  if (response.status === 401) {
    onUnauthorized();
    throw new SessionExpiredError(detailOf(body) ?? 'Your session has ended; log in again.');
  }
  // 416 is a page past the end of a search: an answer, not a failure.
  if (!response.ok && response.status !== 416)
    throw new ApiError(response.status, detailOf(body) ?? `${response.status} ${response.statusText}`);
  return { status: response.status, body: body as T, headers: response.headers };
}

/** `POST /api/jobs/{action}` for the selected jobs, sent until finished (`finishBulk`). */
export const bulkAction = (
  action: 'kill' | 'reschedule' | 'delete',
  jobIds: readonly number[],
): Promise<BulkResult> =>
  finishBulk((idempotencyKey) =>
    api<BulkResult>(`/api/jobs/${action}`, { json: { job_ids: jobIds }, idempotencyKey }),
  );

function detailOf(body: unknown): string | undefined {
  if (body && typeof body === 'object' && 'detail' in body) return describeDetail(body.detail);
  return typeof body === 'string' && body !== '' ? body : undefined;
}

export { parseContentRange } from './content-range.ts';
