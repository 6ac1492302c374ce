/**
 * Retry policy of the pilot's calls to the API: a failure the API may get over (the network, a
 * timeout, a 5xx, a 429) is retried after a growing, jittered wait; an answer that says the request
 * itself is wrong (any other 4xx) is final.
 */
import { MuonError } from '#shared/errors.ts';
import { parseJson, stringifyJson } from '#shared/json.ts';
import type { Logger } from '#shared/log.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Wait before the second attempt; it doubles with each one, up to `maxMs`. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** Replaced in tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The pilot's policy for API calls and presigned transfers alike. */
export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 30_000 };

/** A call to the API (or to a presigned URL) that failed; `status` is absent when nothing answered. */
export class ApiCallError extends MuonError {
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, status: number | undefined, retryable: boolean, cause?: unknown) {
    super('pilot.api_call', status ?? 503, message, cause === undefined ? undefined : { cause });
    this.status = status;
    this.retryable = retryable;
  }

  static unreachable(what: string, error: unknown): ApiCallError {
    const reason = error instanceof Error ? String(error.cause ?? error.message) : String(error);
    return new ApiCallError(`${what}: no answer (${reason})`, undefined, true, error);
  }

  static answered(what: string, status: number, body: unknown): ApiCallError {
    return new ApiCallError(
      `${what} failed (${status}): ${detailOf(body)}`,
      status,
      isRetryableStatus(status),
    );
  }
}

const isRetryableStatus = (status: number): boolean => status >= 500 || status === 429;

const retryDelayMs = (policy: RetryPolicy, attempt: number, random = Math.random): number =>
  Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)) * (0.5 + random() / 2);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withRetries<T>(
  policy: RetryPolicy,
  what: string,
  logger: Logger | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let n = 1; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ApiCallError) || !error.retryable || n >= policy.attempts) throw error;
      const wait = retryDelayMs(policy, n);
      logger?.warn('API call failed, retrying', {
        call: what,
        attempt: n,
        waitMs: Math.round(wait),
        error: error.message,
      });
      await sleep(wait);
    }
  }
}

function detailOf(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 500) || 'no details';
  if (body && typeof body === 'object') {
    const { detail, message } = body as { detail?: unknown; message?: unknown };
    const value = detail ?? message;
    if (typeof value === 'string') return value;
    return stringifyJson(value ?? body).slice(0, 500);
  }
  return 'no details';
}

/** `fetch`, with "nothing answered" as a retryable ApiCallError. */
export async function fetchOrUnreachable(
  what: string,
  url: string | URL,
  init: RequestInit,
): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw ApiCallError.unreachable(what, error);
  }
}

/** An answer's body: JSON when it parses, else the text, else undefined. */
export function parseBody(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}
