import { describe, expect, it } from 'vitest';
import { jobStatuses } from '#shared/jobs/status.ts';
import { allStatuses } from '../../../web/src/search.ts';

describe("The web monitor's status filter", () => {
  it("offers DIRAC's major statuses, in level order, as the API knows them", () => {
    expect(allStatuses).toEqual([...jobStatuses]);
  });
});
