import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobApi } from '#cli/commands/job-api.ts';

/** An API on 127.0.0.1 that answers each request with the next of `answers`, recording what it got. */
async function fakeApi(answers: { status: number; body: unknown }[]) {
  const seen: { method: string; url: string; key: string | undefined; body: unknown }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      key: req.headers['idempotency-key'] as string | undefined,
      body: text ? JSON.parse(text) : undefined,
    });
    const answer = answers.shift() ?? { status: 500, body: { detail: 'no more answers' } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = createJobApi(
    { apiUrl: url, token: 't' },
    { MUON_HOME: mkdtempSync(join(tmpdir(), 'muon-cli-')) },
  );
  return { api, seen };
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

const job = (id: number) => ({ JobID: id, Status: 'Received', MinorStatus: 'Job accepted', TimeStamp: 't' });

describe('The CLI and requests the API stops part-way', () => {
  it('sends a submission answered 202 again with the same key until it is complete', async () => {
    const { api, seen } = await fakeApi([
      { status: 202, body: { detail: 'part', submitted: [job(1)], pending: [2, 3], idempotency_key: 'k1' } },
      {
        status: 202,
        body: { detail: 'part', submitted: [job(1), job(2)], pending: [3], idempotency_key: 'k1' },
      },
      { status: 201, body: [job(1), job(2), job(3)] },
    ]);
    const jobs = await api.submit('/api/jobs/jdl', ['Executable = "x";'], 'k1');
    expect(jobs.map((j) => j.JobID)).toEqual([1, 2, 3]);
    expect(seen.map((s) => s.key)).toEqual(['k1', 'k1', 'k1']);
  });

  it('sends a kill with jobs not attempted again, with one key, and returns the complete answer', async () => {
    const done = { Status: 'Killed' };
    const { api, seen } = await fakeApi([
      {
        status: 200,
        body: { success: { 1: done }, failed: { 2: { code: 'not_attempted', detail: 'budget' } } },
      },
      { status: 200, body: { success: { 1: done, 2: done }, failed: {} } },
    ]);
    const { result } = await api.bulk('kill', [1, 2]);
    expect(Object.keys(result.success)).toEqual(['1', '2']);
    expect(seen).toHaveLength(2);
    expect(seen[0]?.key).toBeTruthy();
    expect(seen[1]?.key).toBe(seen[0]?.key);
    expect(seen[1]?.body).toEqual({ job_ids: [1, 2] });
  });

  it('sends an Idempotency-Key with every request that changes something, none with a read', async () => {
    const { api, seen } = await fakeApi([
      { status: 200, body: {} },
      { status: 200, body: {} },
      { status: 200, body: {} },
    ]);
    await api.client.send('GET', '/api/jobs/1');
    await api.client.send('POST', '/api/jobs/sandbox', { size: 1 });
    await api.client.send('POST', '/api/jobs/sandbox', { size: 1 }, { 'Idempotency-Key': 'mine' });
    expect(seen.map((s) => s.key)).toEqual([undefined, expect.stringMatching(/^[0-9a-f-]{36}$/), 'mine']);
  });
});
