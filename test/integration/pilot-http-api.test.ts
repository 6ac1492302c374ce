/** The pilot's HTTP client against a scripted server: credentials, retries, presigned transfers. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpPilotApi } from '#pilot/http-api.ts';
import { ApiCallError } from '#pilot/retry.ts';
import { fixedToken } from '#pilot/token.ts';
import { uploadToTarget } from '#pilot/transfer.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}
type Reply = (request: Seen, response: ServerResponse) => void;

const json =
  (status: number, body?: unknown): Reply =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(body === undefined ? '' : JSON.stringify(body));
  };
const cut: Reply = (_request, response) => response.socket?.destroy();

describe('Pilot HTTP API client', () => {
  let server: Server;
  let base: string;
  let scratch: string;
  const seen: Seen[] = [];
  /** Replies for the next requests, in order; then 404. */
  const replies: Reply[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'muon-pilot-http-'));
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const entry = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks),
        };
        seen.push(entry);
        (replies.shift() ?? json(404, { detail: 'not scripted' }))(entry, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(scratch, { recursive: true, force: true });
  });
  beforeEach(() => {
    seen.length = 0;
    replies.length = 0;
  });

  const client = () =>
    createHttpPilotApi({ apiUrl: base, token: 'tok', retry: { attempts: 4, baseMs: 1, maxMs: 5 } });
  const registered = async () => {
    const api = client();
    replies.push(json(201, { PilotReference: 'p-1', PilotStamp: 'a'.repeat(32), Secret: 's'.repeat(64) }));
    await api.register({ Site: 'S', GridCE: 'ce' });
    seen.length = 0;
    return api;
  };

  it('sends the bearer token, and the pilot credential once registered', async () => {
    const api = client();
    replies.push(
      json(201, { PilotReference: 'p-1', PilotStamp: 'a'.repeat(32), Secret: 's'.repeat(64) }),
      json(204),
    );
    await api.register({ Site: 'S', GridCE: 'ce' });
    await api.setPilotStatus('Running', 'Pilot started');
    expect(seen[0]?.headers.authorization).toBe('Bearer tok');
    expect(seen[0]?.headers['x-muon-pilot']).toBeUndefined();
    expect(seen[1]).toMatchObject({
      method: 'PATCH',
      url: '/api/pilots/metadata',
      headers: { authorization: 'Bearer tok', 'x-muon-pilot': 'p-1', 'x-muon-pilot-secret': 's'.repeat(64) },
    });
    expect(JSON.parse(seen[1]?.body.toString() ?? '')).toEqual({
      PilotReference: 'p-1',
      Status: 'Running',
      StatusReason: 'Pilot started',
    });
    expect(api.pilotReference).toBe('p-1');
  });

  it('retries network failures, 5xx and 429, and answers with the last attempt', async () => {
    const api = await registered();
    replies.push(
      cut,
      json(503, { detail: 'busy' }),
      json(429, { detail: 'slow down' }),
      json(200, { match: false }),
    );
    expect(
      await api.requestJob({ Site: 'S', GridCE: 'ce', CPUTime: 1, NumberOfProcessors: 1 }),
    ).toBeUndefined();
    expect(seen).toHaveLength(4);
    // The bound pilot's reference goes with every matcher request.
    expect(JSON.parse(seen[3]?.body.toString() ?? '')).toMatchObject({ PilotReference: 'p-1' });

    replies.push(...Array.from({ length: 4 }, () => json(502, { detail: 'bad gateway' })));
    const failure = await api.sendHeartbeats({ '1': {} }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiCallError);
    expect(failure).toMatchObject({ status: 502, retryable: true });
  });

  it('sends one Idempotency-Key with every attempt of a reschedule, a new one per call, none with a read', async () => {
    const api = await registered();
    replies.push(cut, json(503, { detail: 'busy' }), json(200, { success: {}, failed: {} }));
    await api.reschedule([7]);
    replies.push(json(200, { success: {}, failed: {} }));
    await api.reschedule([7]);
    const keys = seen.map((request) => request.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys.slice(0, 3)).toEqual([keys[0], keys[0], keys[0]]);
    expect(keys[3]).not.toBe(keys[0]);
    replies.push(json(200, { url: 'http://127.0.0.1:1/x' }));
    await api
      .forJob(7, fixedToken('job'))
      .downloadData('/vo/f')
      .catch(() => undefined);
    expect(seen.at(-1)?.headers['idempotency-key']).toBeUndefined();
  });

  it('never retries a 4xx: the request itself is wrong', async () => {
    const api = await registered();
    replies.push(json(409, { detail: 'Job 3 is Killed.' }), json(200, {}));
    await expect(
      api.sendStatuses({ '3': { '2026-01-01T00:00:00.000Z': { Status: 'Running' } } }),
    ).rejects.toMatchObject({
      status: 409,
      retryable: false,
      message: expect.stringContaining('Job 3 is Killed.'),
    });
    expect(seen).toHaveLength(1);
  });

  it('downloads a sandbox through its presigned URL and checks its checksum', async () => {
    const api = await registered();
    const bytes = Buffer.from('a tarball');
    const sha = createHash('sha256').update(bytes).digest('hex');
    const reference = `SB:SandboxSE|/S3/muon-bucket/sandboxes/vo/user/alice/sha256:${sha}.tar.gz`;
    const serve: Reply = (_request, response) => response.end(bytes);
    replies.push(json(200, { url: `${base}/presigned`, expires_in: 60 }), json(500), serve);
    await api.forJob(12, fixedToken('tok')).downloadSandbox(reference, join(scratch, 'in', 'sandbox.tar.gz'));
    expect(readFileSync(join(scratch, 'in', 'sandbox.tar.gz'))).toEqual(bytes);
    expect(seen[0]?.url).toBe(`/api/jobs/sandbox?pfn=${encodeURIComponent(reference)}`);

    replies.push(json(200, { url: `${base}/presigned` }), (_request, response) => response.end('tampered'));
    await expect(
      api.forJob(12, fixedToken('tok')).downloadSandbox(reference, join(scratch, 'in', 'bad.tar.gz')),
    ).rejects.toThrow(/checksum/);
  });

  it('uploads an output sandbox: registers it, PUTs the file with its length, assigns it to the job', async () => {
    const api = await registered();
    const archive = join(scratch, 'out.tar.gz');
    writeFileSync(archive, 'output bytes');
    const pfn = 'SB:SandboxSE|/S3/b/sandboxes/vo/user/alice/sha256:x.tar.gz';
    replies.push(
      json(200, {
        pfn,
        url: `${base}/put-here`,
        fields: {},
        method: 'PUT',
        headers: { 'x-amz-checksum-sha256': 'abc' },
      }),
      json(200),
      json(204),
    );
    expect(await api.forJob(12, fixedToken('tok')).uploadOutputSandbox(archive, 'f'.repeat(64), 12)).toBe(
      pfn,
    );
    expect(seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /api/jobs/12/sandbox/output',
      'PUT /put-here',
      'PATCH /api/jobs/12/sandbox/output',
    ]);
    expect(JSON.parse(seen[0]?.body.toString() ?? '')).toEqual({
      checksum_algorithm: 'sha256',
      checksum: 'f'.repeat(64),
      size: 12,
      format: 'tar.gz',
    });
    expect(seen[1]?.headers).toMatchObject({ 'content-length': '12', 'x-amz-checksum-sha256': 'abc' });
    expect(seen[1]?.body.toString()).toBe('output bytes');
    expect(JSON.parse(seen[2]?.body.toString() ?? '')).toBe(pfn);
  });

  it('uploads its log and output data through presigned PUTs', async () => {
    const api = await registered();
    replies.push(json(200, { url: `${base}/log`, method: 'PUT', headers: {} }), json(200));
    await api.uploadPilotLog(Buffer.from('line 1\n'));
    expect(JSON.parse(seen[0]?.body.toString() ?? '')).toEqual({ PilotReference: 'p-1', Size: 7 });
    expect(seen[1]?.body.toString()).toBe('line 1\n');

    const file = join(scratch, 'data.txt');
    writeFileSync(file, 'data');
    seen.length = 0;
    replies.push(json(503), json(200));
    await uploadToTarget({ backend: 's3', url: `${base}/data`, method: 'PUT', headers: {}, pfn: 'k' }, file, {
      attempts: 3,
      baseMs: 1,
      maxMs: 1,
    });
    expect(seen.map((request) => request.body.toString())).toEqual(['data', 'data']);
  });
});
