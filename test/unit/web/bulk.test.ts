import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BulkResult, finishBulk } from '../../../web/src/bulk.ts';

type Answer = { status: number; body: BulkResult } | { error: { status: number; message: string } };

/** A send that answers with the next of `answers` (the last again when they run out). */
function sending(...answers: Answer[]) {
  const keys: string[] = [];
  const send = async (key: string) => {
    keys.push(key);
    const answer = answers[Math.min(keys.length, answers.length) - 1];
    if (!answer) throw new Error('no answer given');
    if ('error' in answer) throw answer.error;
    return answer;
  };
  return { send, keys };
}

const notAttempted = { code: 'not_attempted', detail: 'The time budget ran out; send it again.' };

describe("The web monitor's kill, reschedule and delete", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout'] }));
  afterEach(() => vi.useRealTimers());

  /** The outcome of `finishBulk`, its waits between sends passed at once. */
  async function outcome(send: (key: string) => Promise<{ status: number; body: BulkResult }>) {
    const settled = finishBulk(send).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );
    await vi.runAllTimersAsync();
    return settled;
  }

  it('sends a request answered 503 again with the same Idempotency-Key, and gives the answer that finished it', async () => {
    const { send, keys } = sending(
      { error: { status: 503, message: 'No job was changed; send it again.' } },
      { status: 200, body: { success: { 7: {} }, failed: {} } },
    );
    expect(await outcome(send)).toEqual({ result: { success: { 7: {} }, failed: {} } });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
  });

  it('sends again while jobs are left not attempted, and stops at the first finished answer', async () => {
    const { send, keys } = sending(
      { status: 200, body: { success: { 1: {} }, failed: { 2: notAttempted } } },
      { status: 200, body: { success: { 1: {}, 2: {} }, failed: {} } },
      { status: 200, body: { success: {}, failed: { 1: notAttempted } } },
    );
    expect(await outcome(send)).toEqual({ result: { success: { 1: {}, 2: {} }, failed: {} } });
    expect(keys).toHaveLength(2);
  });

  it('takes a refusal as the answer at once', async () => {
    const refusal = { status: 409, message: 'Job 3 is Done; it cannot be killed.' };
    const { send, keys } = sending({ error: refusal });
    expect(await outcome(send)).toEqual({ error: refusal });
    expect(keys).toHaveLength(1);
  });

  it('gives a failure that sending again cannot change as the answer', async () => {
    const forbidden = { code: 'forbidden', detail: 'Job 4 is not yours to delete.' };
    const { send, keys } = sending({ status: 200, body: { success: { 5: {} }, failed: { 4: forbidden } } });
    expect(await outcome(send)).toEqual({ result: { success: { 5: {} }, failed: { 4: forbidden } } });
    expect(keys).toHaveLength(1);
  });

  it('gives up after five sends that all answer 503, with the last error', async () => {
    const unavailable = { status: 503, message: 'The job store did not answer.' };
    const { send, keys } = sending({ error: unavailable });
    expect(await outcome(send)).toEqual({ error: unavailable });
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(1);
  });
});
