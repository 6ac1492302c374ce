import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import { payloadTokenSource } from '#pilot/wrapper/payload-token.ts';

/** What the fake API saw of one request. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** An API on 127.0.0.1 that answers with `answer`, which sees every request the pilot makes. */
async function fakeApi(answer: (request: Seen) => { status: number; body?: unknown }) {
  const seen: Seen[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: Seen = {
        method: incoming.method ?? 'GET',
        path: incoming.url ?? '/',
        headers: Object.fromEntries(
          Object.entries(incoming.headers).map(([name, value]) => [name, String(value)]),
        ),
        body: text ? JSON.parse(text) : undefined,
      };
      seen.push(request);
      const { status, body } = answer(request);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const hourFrom = (ms: number) => new Date(ms + 3_600_000).toISOString();
const retry = { attempts: 1, baseMs: 1, maxMs: 1 };

/** A registered pilot's API over the fake API; `renewed` payload tokens are `job-<n>`. */
async function registeredPilot(answer: (request: Seen) => { status: number; body?: unknown } | undefined) {
  let renewals = 0;
  const { url, seen } = await fakeApi((request) => {
    if (request.path === '/api/pilots') {
      return { status: 201, body: { PilotReference: 'pilot-1', PilotStamp: 'x', Secret: 'pilot-secret' } };
    }
    if (request.path === '/api/jobs/7/token') {
      renewals += 1;
      return {
        status: 200,
        body: { PayloadToken: `job-${renewals}`, PayloadTokenExpiresAt: hourFrom(Date.now()) },
      };
    }
    return answer(request) ?? { status: 204 };
  });
  const api = createHttpPilotApi({ apiUrl: url, token: 'pilot-token', retry });
  await api.register({});
  return { api, seen, renewals: () => renewals };
}

describe('A job wrapper API', () => {
  it('sends the job payload token, and never the pilot credential', async () => {
    const { api, seen } = await registeredPilot(() => undefined);
    const job = api.forJob(
      7,
      payloadTokenSource({ PayloadToken: 'job-0', PayloadTokenExpiresAt: hourFrom(Date.now()) }, () =>
        api.payloadToken(7),
      ),
    );
    await job.putOutputs({ MissingFiles: ['x'] });
    await job.sendStatuses({ '7': { '2026-01-01T00:00:00.000Z': { MinorStatus: 'Application' } } });
    await job.reschedule();

    const calls = seen.slice(1);
    expect(calls.map((request) => `${request.method} ${request.path}`)).toEqual([
      'PUT /api/jobs/7/outputs',
      'PATCH /api/jobs/status',
      'POST /api/jobs/reschedule',
    ]);
    for (const request of calls) {
      expect(request.headers.authorization).toBe('Bearer job-0');
      expect(request.headers['x-muon-pilot']).toBeUndefined();
      expect(request.headers['x-muon-pilot-secret']).toBeUndefined();
    }
    expect(calls[2]?.body).toEqual({ job_ids: [7] });
  });

  it('renews a refused payload token with the pilot credential and makes the call once more', async () => {
    const { api, seen, renewals } = await registeredPilot((request) =>
      request.headers.authorization === 'Bearer job-0'
        ? { status: 401, body: { detail: 'expired' } }
        : undefined,
    );
    const job = api.forJob(
      7,
      payloadTokenSource({ PayloadToken: 'job-0', PayloadTokenExpiresAt: hourFrom(Date.now()) }, () =>
        api.payloadToken(7),
      ),
    );
    await job.registerReplica({ LFN: '/vo/a', SE: 'SE', Size: 1, Checksum: 'adler32:1', PFN: '/a' });

    expect(renewals()).toBe(1);
    const [, refused, renewal, retried] = seen;
    expect(refused?.headers.authorization).toBe('Bearer job-0');
    expect(renewal?.path).toBe('/api/jobs/7/token');
    expect(renewal?.headers.authorization).toBe('Bearer pilot-token');
    expect(renewal?.headers['x-muon-pilot']).toBe('pilot-1');
    expect(renewal?.headers['x-muon-pilot-secret']).toBe('pilot-secret');
    expect(retried?.headers.authorization).toBe('Bearer job-1');
    expect(retried?.body).toEqual({
      LFN: '/vo/a',
      SE: 'SE',
      Size: 1,
      Checksum: 'adler32:1',
      PFN: '/a',
      JobID: 7,
    });
  });

  it('gives up after a second 401', async () => {
    const { api } = await registeredPilot((request) =>
      request.path === '/api/jobs/7/outputs' ? { status: 401, body: { detail: 'no' } } : undefined,
    );
    const job = api.forJob(
      7,
      payloadTokenSource({ PayloadToken: 'job-0', PayloadTokenExpiresAt: hourFrom(Date.now()) }, () =>
        api.payloadToken(7),
      ),
    );
    await expect(job.putOutputs({})).rejects.toThrow(/401/);
  });

  it('keeps the pilot credential on the pilot calls', async () => {
    const { api, seen } = await registeredPilot(() => ({ status: 200, body: [] }));
    await api.sendHeartbeats({ '7': { WallClockTime: 1 } });
    expect(seen.at(-1)?.headers).toMatchObject({
      authorization: 'Bearer pilot-token',
      'x-muon-pilot': 'pilot-1',
      'x-muon-pilot-secret': 'pilot-secret',
    });
  });
});

describe('A payload token', () => {
  const grant = (token: string, expiresAt: number) => ({
    PayloadToken: token,
    PayloadTokenExpiresAt: new Date(expiresAt).toISOString(),
  });

  it('is used until less than 20% of its lifetime is left, then renewed', async () => {
    let now = 1_000_000;
    const renew = vi.fn(async () => grant('second', now + 3_600_000));
    const tokens = payloadTokenSource(grant('first', now + 3_600_000), renew, { now: () => now });
    now += 2_800_000;
    expect(await tokens.token()).toBe('first');
    now += 100_000;
    expect(await tokens.token()).toBe('second');
    expect(renew).toHaveBeenCalledTimes(1);
  });

  it('is renewed once for callers that ask at the same time', async () => {
    let release: () => void = () => undefined;
    const renew = vi.fn(
      () =>
        new Promise<ReturnType<typeof grant>>((resolve) => {
          release = () => resolve(grant('new', Date.now() + 3_600_000));
        }),
    );
    const tokens = payloadTokenSource(grant('old', Date.now() - 1), renew);
    const asked = [tokens.token(), tokens.token(), tokens.token()];
    release();
    expect(await Promise.all(asked)).toEqual(['new', 'new', 'new']);
    expect(renew).toHaveBeenCalledTimes(1);
  });

  it('is asked for at the first call when the matcher gave none, and again once refused', async () => {
    let n = 0;
    const tokens = payloadTokenSource({}, async () => grant(`token-${++n}`, Date.now() + 3_600_000));
    expect(await tokens.token()).toBe('token-1');
    expect(await tokens.token()).toBe('token-1');
    tokens.refused('token-1');
    expect(await tokens.token()).toBe('token-2');
  });
});
