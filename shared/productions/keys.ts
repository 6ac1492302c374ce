/**
 * Every key of the productions table is built here and nowhere else.
 *
 * - A production is one item, `PRODUCTION#<id>` / `PRODUCTION`, listed per owner through `byOwner`
 *   (`<vo>#<owner>`, sorted by the numeric id).
 * - Production ids are increasing integers (DIRAC's ProductionID) from one counter item.
 * - A submission's idempotency key is one item naming the production it created, so a retry after
 *   a crash resumes that production instead of starting another.
 */
import type { IdempotencyScope } from '#shared/jobs/store/keys.ts';

export const productionKey = (productionId: number) => ({
  pk: `PRODUCTION#${productionId}`,
  sk: 'PRODUCTION',
});

export const counterKey = { pk: 'COUNTER#productionId', sk: 'COUNTER' } as const;

export const ownerKey = (vo: string, owner: string) => `${vo}#${owner}`;

/** Whose submission a key names, as for jobs: the same person in another group is another submitter. */
export type { IdempotencyScope };

export const idempotencyKey = ({ vo, owner, group, key }: IdempotencyScope) => ({
  pk: `IDEMPOTENCY#${vo}#${owner}#${group}#${key}`,
  sk: 'IDEMPOTENCY',
});
