/** Idempotency records of one submitter, in the counters table. */
import type { Identity } from '#shared/auth/identity.ts';
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import {
  completeIdempotencyRecord,
  getIdempotencyRecord,
  markChunksWritten,
  putIdempotencyRecord,
} from '#shared/jobs/store/idempotency.ts';
import { submitterScope } from '#shared/jobs/store/keys.ts';
import type { IdempotencyPort } from '#shared/jobs/submission/submit.ts';

export const createIdempotencyPort =
  (deps: Pick<Deps, 'aws' | 'resources'>) =>
  (identity: Identity): IdempotencyPort => {
    const table = () => tableName(deps.resources, 'counters');
    const scope = (key: string) => submitterScope(identity, key);
    return {
      get: (key) => getIdempotencyRecord(deps.aws.dynamo, table(), scope(key)),
      put: (key, record) => putIdempotencyRecord(deps.aws.dynamo, table(), scope(key), record),
      complete: (key) => completeIdempotencyRecord(deps.aws.dynamo, table(), scope(key)),
      markWritten: (key, chunks) => markChunksWritten(deps.aws.dynamo, table(), scope(key), chunks),
    };
  };
