/**
 * Faults in front of an emulator, for the chaos run (`npm run chaos`, scripts/chaos.ts): an HTTP
 * proxy on the emulator's public port that delays some requests and answers others with S3's
 * `503 SlowDown`, as a throttled or briefly unreachable S3 does, before passing the rest through.
 * Off unless the runtime is started with MUON_EMULATOR_S3_FAULTS (emulator-process.ts); never on
 * in `npm start`. Written here rather than taken from a library because it is twenty lines of
 * node:http and the chaos run needs S3's own error body, which clients retry.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

export const faultsSchema = z
  .object({
    /** Share of requests answered 503 SlowDown without reaching the emulator. */
    failRate: z.number().min(0).max(1).default(0),
    /** Share of requests held `delayMs` before they are passed on. */
    delayRate: z.number().min(0).max(1).default(0),
    delayMs: z.number().int().nonnegative().default(0),
  })
  .strict();
export type Faults = z.infer<typeof faultsSchema>;

const slowDown =
  '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate (muon chaos fault).</Message></Error>';

/** Listens on 127.0.0.1:`port` (0: a free one) and passes requests to 127.0.0.1:`targetPort`. */
export async function startFaultProxy(targetPort: number, port: number, faults: Faults): Promise<Server> {
  const server = createServer((req, res) => {
    if (Math.random() < faults.failRate) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' }).end(slowDown);
      return;
    }
    const forward = () => {
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    if (Math.random() < faults.delayRate) setTimeout(forward, faults.delayMs);
    else forward();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

export const proxyPort = (server: Server) => (server.address() as AddressInfo).port;
