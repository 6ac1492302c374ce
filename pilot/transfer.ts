/**
 * Moving files through presigned URLs and storage-element paths: uploads stream the file from disk
 * (a Blob backed by the file, so fetch sends its length and can send it again on a retry), and
 * downloads stream to disk while hashing.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { DownloadSource, UploadTarget } from '#pilot/api.ts';
import {
  ApiCallError,
  defaultRetryPolicy,
  fetchOrUnreachable,
  type RetryPolicy,
  withRetries,
} from '#pilot/retry.ts';
import type { Logger } from '#shared/log.ts';

export interface FileDigest {
  readonly sha256: string;
  readonly size: number;
}

const transferTimeoutMs = 900_000;

/**
 * One PUT to a presigned URL (no retry: see `putFile`); `body` is called for each attempt. `what`
 * names the call in errors.
 */
async function putOnce(
  what: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  body: () => Blob | Buffer | Promise<Blob>,
  timeoutMs: number,
) {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'PUT',
      headers: { ...headers },
      body: await body(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw ApiCallError.unreachable(what, error);
  }
  if (!response.ok) throw ApiCallError.answered(what, response.status, await response.text());
  await response.body?.cancel();
}

/** One GET of a presigned URL into `destination`, hashed on the way (no retry). */
async function getOnce(url: string, destination: string, timeoutMs: number): Promise<FileDigest> {
  const response = await fetchOrUnreachable('GET', url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok || !response.body)
    throw ApiCallError.answered('GET', response.status, await response.text());
  const hash = createHash('sha256');
  let size = 0;
  const digest = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>),
      digest,
      createWriteStream(destination),
    );
  } catch (error) {
    // A connection cut mid-body is a network failure like any other: retried.
    throw ApiCallError.unreachable('GET', error);
  }
  return { sha256: hash.digest('hex'), size };
}

export function putFile(
  url: string,
  headers: Readonly<Record<string, string>>,
  file: string,
  retry: RetryPolicy = defaultRetryPolicy,
  timeoutMs = transferTimeoutMs,
): Promise<void> {
  return withRetries(retry, 'PUT presigned URL', undefined, () =>
    putOnce('PUT', url, headers, () => openAsBlob(file), timeoutMs),
  );
}

/** `bytes` to a presigned URL, with retries; `what` names the call in errors and the retry log. */
export function putBytes(
  what: string,
  url: string,
  headers: Readonly<Record<string, string>>,
  bytes: Buffer,
  options: { readonly retry: RetryPolicy; readonly timeoutMs: number; readonly logger?: Logger | undefined },
): Promise<void> {
  return withRetries(options.retry, what, options.logger, () =>
    putOnce(what, url, headers, () => bytes, options.timeoutMs),
  );
}

export async function getFile(
  url: string,
  destination: string,
  retry: RetryPolicy = defaultRetryPolicy,
  timeoutMs = transferTimeoutMs,
): Promise<FileDigest> {
  await mkdir(dirname(destination), { recursive: true });
  return withRetries(retry, 'GET presigned URL', undefined, () => getOnce(url, destination, timeoutMs));
}

/**
 * Writes a file where `PilotApi.uploadTarget` said: a presigned PUT for an `s3` storage element, a
 * copy for a `file` one. For job wrappers.
 */
export async function uploadToTarget(target: UploadTarget, file: string, retry?: RetryPolicy): Promise<void> {
  if (target.backend === 's3') return putFile(target.url, target.headers, file, retry);
  await mkdir(dirname(target.path), { recursive: true });
  await copyFile(file, target.path);
}

/** Fetches a replica from where `PilotApi.downloadData` said (its checksum is the caller's to verify). */
export async function downloadFromSource(
  source: DownloadSource,
  destination: string,
  retry?: RetryPolicy,
): Promise<void> {
  if (source.backend === 's3') {
    await getFile(source.url, destination, retry);
    return;
  }
  await mkdir(dirname(destination), { recursive: true });
  await copyFile(source.path, destination);
}

export async function digestFile(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
