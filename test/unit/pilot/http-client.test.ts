import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestText } from '#pilot/http-client.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(listener: RequestListener): Promise<URL> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/x`);
}

describe("The pilot's HTTP client", () => {
  it('answers with any status and the body, sending the method, headers and body it was given', async () => {
    const url = await serve((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        response.writeHead(409);
        response.end(
          JSON.stringify({
            method: request.method,
            authorization: request.headers.authorization,
            length: request.headers['content-length'],
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
    });
    const body = JSON.stringify({ name: 'é' });
    const answer = await requestText(url, {
      method: 'PATCH',
      headers: { authorization: 'Bearer t' },
      body,
      timeoutMs: 5000,
    });
    expect(answer.status).toBe(409);
    expect(JSON.parse(answer.text)).toEqual({
      method: 'PATCH',
      authorization: 'Bearer t',
      length: String(Buffer.byteLength(body)),
      body,
    });
  });

  it('reuses its connection for the next call', async () => {
    const ports = new Set<number>();
    const url = await serve((request, response) => {
      ports.add(request.socket.remotePort as number);
      response.end('ok');
    });
    for (let i = 0; i < 3; i++) await requestText(url, { method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(ports.size).toBe(1);
  });

  it('fails when nothing answers, when the answer is cut short, and past its timeout', async () => {
    const closed = await serve(() => undefined);
    servers[0]?.close();
    servers[0]?.closeAllConnections();
    const refused = new URL(closed);
    await expect(requestText(refused, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow();

    const cut = await serve((_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
      setTimeout(() => response.socket?.destroy(), 20);
    });
    await expect(requestText(cut, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow();

    const silent = await serve(() => undefined);
    await expect(requestText(silent, { method: 'GET', headers: {}, timeoutMs: 200 })).rejects.toThrow(
      /no answer within 200 ms/,
    );
  });
});
