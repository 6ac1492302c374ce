/**
 * Keys of the answers kept for an `Idempotency-Key` (shared/http/idempotency/store.ts). They live in
 * the counters table beside the submission records (shared/jobs/store/keys.ts), which has the TTL
 * attribute and whose expired items the cleaning agent removes locally. One record per caller (VO
 * and token subject), route and key: two users, or two routes, never share an answer.
 */
export const answerKeys = {
  record: (scope: AnswerScope) => ({ pk: `ANSWER#${scope.vo}#${scope.sub}#${scope.route}#${scope.key}` }),
};

export interface AnswerScope {
  readonly vo: string;
  readonly sub: string;
  /** The route key, e.g. `POST /api/jobs/reschedule`. */
  readonly route: string;
  readonly key: string;
}

/**
 * The longest `Idempotency-Key` kept. Every kept record's key holds it (here and beside the
 * submission records), and DynamoDB refuses a partition key over 2048 bytes: a longer header made
 * the write fail with a 500 after the request had been read. Stripe allows 255 characters too.
 */
export const maxIdempotencyKeyLength = 255;
const keyText = /^[\x20-\x7e]+$/;

/** Why an `Idempotency-Key` header cannot be kept, or undefined when it can (or is absent or empty, as routes read it). */
export function idempotencyKeyProblem(key: string | undefined): string | undefined {
  if (!key || (key.length <= maxIdempotencyKeyLength && keyText.test(key))) return undefined;
  return `The Idempotency-Key header is at most ${maxIdempotencyKeyLength} printable ASCII characters (a UUID fits); this one has ${key.length} characters${keyText.test(key) ? '' : ', not all printable ASCII'}.`;
}
