/**
 * Hostile request shapes on the embedded runtime: bodies nested thousands of levels deep, which the
 * recursive walks of a submission overflowed on (500), and transformation and production ids that a
 * JavaScript number cannot hold exactly, which named another object (9007199254740993 read 9007199254740992),
 * and Idempotency-Keys and X-Muon-Pilot references longer than a DynamoDB key may be (500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const tool = { cwlVersion: 'v1.2', class: 'CommandLineTool', baseCommand: 'echo', outputs: [] };
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('Request limits', () => {
  let runtime: TestRuntime;
  const submit = (text: string) =>
    runtime.api('/api/jobs', { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('refuses a body nested thousands of levels deep with 422, in the inputs or the hints', async () => {
    const inTheInputs = `{"workflow":${JSON.stringify({ ...tool, inputs: { a: 'Any' } })},"inputs":[{"a":${nested(200_000)}}]}`;
    const inTheHints = `{"workflow":${JSON.stringify({ ...tool, inputs: [] })},"hints":{"a":${nested(200_000)}}}`;
    for (const text of [inTheInputs, inTheHints]) {
      const response = await submit(text);
      const body = await bodyOf(response);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(body.detail).toMatch(/more than 100 levels deep/);
    }
    // The runtime still answers.
    expect((await runtime.api('/api/health')).status).toBe(200);
  });

  it('counts no bracket inside a string, escaped quotes included, and lets 100 levels through', async () => {
    const text = `{"workflow":${JSON.stringify({ ...tool, inputs: { a: 'Any' } })},"inputs":[{"a":${JSON.stringify(`\\"${'['.repeat(5000)}`)}}]}`;
    const response = await submit(text);
    expect(response.status, JSON.stringify(await bodyOf(response))).toBe(201);
    // body 1, inputs 2, input object 3, then 97 levels of arrays: 100 in all.
    const deepest = `{"workflow":${JSON.stringify({ ...tool, inputs: { a: 'Any' } })},"inputs":[{"a":${nested(97)}}]}`;
    const answer = await bodyOf(await submit(deepest));
    expect(answer.detail ?? '').not.toMatch(/levels deep/);
    const tooDeep = `{"workflow":${JSON.stringify({ ...tool, inputs: { a: 'Any' } })},"inputs":[{"a":${nested(98)}}]}`;
    expect((await submit(tooDeep)).status).toBe(422);
  });

  it('refuses transformation and production ids beyond 2^53, or not plain decimal, with 422', async () => {
    for (const path of [
      '/api/transformations/9007199254740993',
      '/api/transformations/1e3',
      '/api/transformations/9007199254740993/files',
      '/api/productions/9007199254740993',
      '/api/productions/0',
    ]) {
      const response = await runtime.api(path);
      const body = await bodyOf(response);
      expect(response.status, path).toBe(422);
      expect(body.detail, path).toMatch(/is not a (transformation|production) id: .* plain decimal integers/);
    }
    // The largest safe id is an id: there is no such transformation.
    expect((await runtime.api('/api/transformations/9007199254740991')).status).toBe(404);
  });

  it('refuses an Idempotency-Key over 255 characters, or not printable ASCII, with 422 and changes nothing', async () => {
    const jdl = ['Executable = "echo";'];
    const jobCount = async () =>
      (
        (await bodyOf(
          await runtime.api('/api/jobs/search', { method: 'POST', json: {} }),
        )) as unknown as unknown[]
      ).length;
    const before = await jobCount();
    for (const key of ['k'.repeat(5000), 'k'.repeat(256), 'cl\u00e9']) {
      for (const [path, json] of [
        ['/api/jobs/jdl', jdl],
        ['/api/jobs/kill', { job_ids: [1] }],
      ] as const) {
        const response = await runtime.api(path, {
          method: 'POST',
          json,
          headers: { 'idempotency-key': key },
        });
        const body = await bodyOf(response);
        expect(response.status, `${path} ${key.length}: ${JSON.stringify(body)}`).toBe(422);
        expect(body.detail).toMatch(/Idempotency-Key header is at most 255 printable ASCII characters/);
      }
    }
    expect(await jobCount()).toBe(before);
    const kept = await runtime.api('/api/jobs/jdl', {
      method: 'POST',
      json: jdl,
      headers: { 'idempotency-key': 'k'.repeat(255) },
    });
    expect(kept.status).toBe(201);
  });

  it('refuses a pilot reference longer than any registered one with 403, not 500', async () => {
    const response = await runtime.api('/api/matcher/request', {
      method: 'POST',
      as: 'pilot',
      headers: { 'x-muon-pilot': 'p'.repeat(5000), 'x-muon-pilot-secret': 's'.repeat(64) },
      json: { CPUTime: 1 },
    });
    const body = await bodyOf(response);
    expect(response.status, JSON.stringify(body)).toBe(403);
    expect(body.detail).toMatch(/is not registered in vo.example.org/);
  });
});
