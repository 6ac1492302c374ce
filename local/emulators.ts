/**
 * The AWS wire-protocol emulators of the embedded runtime: dynalite (DynamoDB, LevelDB on disk),
 * local-aws-sqs (SQS, JSON protocol, in memory) and s3rver (S3, files on disk). All listen on
 * 127.0.0.1 on free ports. dynalite runs with our fix for its unclosed iterators (dynalite-patch.ts).
 * See docs/local-runtime.md for their known gaps and our workarounds.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { patchDynaliteIterators } from '#local/dynalite-patch.ts';
import { type Faults, proxyPort, startFaultProxy } from '#local/fault-proxy.ts';
import type { Endpoints } from '#shared/aws/clients.ts';

const require = createRequire(import.meta.url);

export interface Emulators {
  readonly endpoints: Endpoints;
  close(): Promise<void>;
}

export interface EmulatorOptions {
  /** Where DynamoDB (unless in memory) and S3 keep their data. */
  readonly dataDir: string;
  /** Keep DynamoDB in memory instead of on disk (tests that want speed over persistence). */
  readonly inMemory?: boolean;
  /** Which emulators to start; all three when absent. */
  readonly only?: readonly EmulatorName[];
  /**
   * Ports to listen on (0 or absent: a free one). A restarted emulator child takes its old ports,
   * so the runtime's clients reach it again without being rebuilt.
   */
  readonly ports?: Readonly<Partial<Record<EmulatorName, number>>>;
  /** Faults in front of S3 (the chaos run only; fault-proxy.ts). */
  readonly s3Faults?: Faults;
}

export type EmulatorName = keyof Endpoints;

/** s3rver accepts only these credentials; the emulators ignore them otherwise. */
export const emulatorCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const wanted = new Set(options.only ?? ['dynamodb', 'sqs', 's3']);
    const dynamodb = wanted.has('dynamodb') ? await startDynalite(options, closers) : '';
    const sqs = wanted.has('sqs') ? await startSqs(options, closers) : '';
    const s3 = wanted.has('s3') ? await startS3(options, closers) : '';
    return {
      endpoints: { dynamodb, sqs, s3 },
      close: () => closeAll(closers),
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => undefined);
}

async function startDynalite(options: EmulatorOptions, closers: (() => Promise<void>)[]): Promise<string> {
  patchDynaliteIterators();
  const dynalite = require('dynalite') as (opts: Record<string, unknown>) => Server;
  const path = options.inMemory ? undefined : join(options.dataDir, 'dynamodb');
  if (path) mkdirSync(path, { recursive: true });
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(path ? { path } : {}),
  });
  const url = await listen(server, options.ports?.dynamodb ?? 0);
  closers.push(() => closeServer(server));
  return url;
}

async function startSqs(options: EmulatorOptions, closers: (() => Promise<void>)[]): Promise<string> {
  const { createSqsServer } = require('local-aws-sqs') as {
    createSqsServer: (opts: Record<string, unknown>) => Promise<Server>;
  };
  const server = await createSqsServer({
    port: options.ports?.sqs ?? 0,
    hostname: '127.0.0.1',
    emulateQueueCreationLifecycle: false,
  });
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  closers.push(() => closeServer(server));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function startS3(options: EmulatorOptions, closers: (() => Promise<void>)[]): Promise<string> {
  const S3rver = require('s3rver') as new (
    opts: Record<string, unknown>,
  ) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  const directory = join(options.dataDir, 's3');
  mkdirSync(directory, { recursive: true });
  const port = options.ports?.s3 ?? 0;
  const faults = options.s3Faults;
  // With faults, s3rver listens on a free port behind the proxy, which takes the public one.
  const server = new S3rver({ port: faults ? 0 : port, address: '127.0.0.1', silent: true, directory });
  const address = await server.run();
  closers.push(() => server.close());
  if (!faults) return `http://127.0.0.1:${address.port}`;
  const proxy = await startFaultProxy(address.port, port, faults);
  closers.push(() => closeServer(proxy));
  return `http://127.0.0.1:${proxyPort(proxy)}`;
}

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}
