/** `muon production stop|start|clean`: a refusal of every step is shown per step, not as JSON. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '#cli/main.ts';

const refusedStep = (step: string, id: number) => ({
  step,
  transformationId: id,
  done: false,
  message:
    'A transformation that is Cleaned cannot be stopped; that takes one that is New, Active, Completed.',
});

let server: Server;
let apiUrl: string;
beforeAll(async () => {
  server = createServer((_req, res) => {
    const detail = { productionId: '1', steps: [refusedStep('generate', 1), refusedStep('merge', 2)] };
    res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ detail }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

describe('muon production stop when no step can be stopped', () => {
  it('prints each step with why, and fails naming the production', async () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((text) => out.push(String(text)) > 0);
    vi.spyOn(console, 'error').mockImplementation((text) => {
      err.push(String(text));
    });
    try {
      const code = await main([
        'node',
        'muon',
        '--api-url',
        apiUrl,
        '--token',
        't',
        'production',
        'stop',
        '1',
      ]);
      expect(code).toBe(1);
    } finally {
      vi.restoreAllMocks();
      process.exitCode = undefined;
    }
    expect(out.join('')).toBe(
      '  generate (transformation 1): unchanged: A transformation that is Cleaned cannot be stopped; that takes one that is New, Active, Completed.\n' +
        '  merge (transformation 2): unchanged: A transformation that is Cleaned cannot be stopped; that takes one that is New, Active, Completed.\n',
    );
    expect(err).toEqual(['muon: No step of production 1 could be told to stop.']);
  });
});
