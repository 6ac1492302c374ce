/** A 401 says what to do about the token, by where the token came from. */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveClient } from '#cli/client.ts';
import { createJobApi } from '#cli/commands/job-api.ts';

let server: Server;
let apiUrl: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res
      .writeHead(401, { 'content-type': 'application/json' })
      .end(JSON.stringify({ detail: 'The token has expired.' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

const home = () => ({
  MUON_HOME: mkdtempSync(join(tmpdir(), 'muon-401-')),
  MUON_CREDENTIALS_DIR: mkdtempSync(join(tmpdir(), 'muon-cred-')),
});

describe('a refused token', () => {
  it('names --token when the token came from it', async () => {
    const client = resolveClient({ apiUrl, token: 'old' }, home());
    await expect(client.request('GET', '/api/auth/userinfo')).rejects.toThrow(
      'GET /api/auth/userinfo failed (401): The token has expired.\nThe token given with --token was refused: give a valid one.',
    );
  });

  it('names MUON_TOKEN, and how to fall back to the login', async () => {
    const client = resolveClient({ apiUrl }, { ...home(), MUON_TOKEN: 'old' });
    await expect(client.request('GET', '/api/auth/userinfo')).rejects.toThrow(
      'The token in MUON_TOKEN was refused: set a valid one, or unset it to use your `muon login`.',
    );
  });

  it('says how to get a token when none was sent', async () => {
    const client = resolveClient({ apiUrl }, home());
    await expect(client.request('GET', '/api/auth/userinfo')).rejects.toThrow(
      'No token was sent: run `muon login`, set MUON_TOKEN, or pass --token.',
    );
  });

  it('says the same through the job commands (muon job status, search, ...)', async () => {
    const api = createJobApi({ apiUrl }, { ...home(), MUON_TOKEN: 'old' });
    await expect(api.search({ search: [], sort: [] }, 1, 10)).rejects.toThrow(
      'The token in MUON_TOKEN was refused',
    );
  });
});
