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
