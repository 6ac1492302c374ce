/**
 * Data on storage elements from the client's side: download a file by its LFN (through a presigned
 * URL, or by copying it from a `file` storage element this machine can see), add one (upload and
 * register, with metadata), list an LFN directory, and the catalog's metadata and queries.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type ApiClient, reach } from '#cli/client.ts';
import { CliError } from '#cli/errors.ts';
import { uploadToTarget } from '#pilot/transfer.ts';
import { adler32File } from '#pilot/wrapper/checksum.ts';
import type { MetaQuery, MetaType, MetaValue } from '#shared/catalog/query.ts';
import type {
  DownloadSource,
  FindResponse,
  ListResponse,
  RemoveResponse,
  ReplicasResponse,
  UploadTarget,
} from '#shared/data/model.ts';

export type ListedFile = ListResponse['Files'][number];

/** Downloads the replica of `lfn` (on `se`, if given) to the file `destination`. */
export async function downloadData(
  client: ApiClient,
  lfn: string,
  destination: string,
  se?: string,
): Promise<void> {
  const query = new URLSearchParams({ lfn, ...(se ? { se } : {}) });
  const { body: source } = await client.request<DownloadSource>('GET', `/api/data/download?${query}`);
  await mkdir(dirname(destination), { recursive: true });
  if (source.backend === 'file') {
    if (!existsSync(source.path)) {
      throw new CliError(`${lfn} is at ${source.path}, on a file storage element this machine does not see.`);
    }
    await copyFile(source.path, destination);
    return;
  }
  const response = await reach('the storage element', source.url);
  if (!response.ok || !response.body) {
    throw new CliError(`The download of ${lfn} failed (${response.status}): ${await response.text()}`);
  }
  await pipeline(Readable.fromWeb(response.body as WebReadableStream), createWriteStream(destination));
}

/** Every subdirectory and file directly in the LFN directory `path`, following the listing's pages. */
export async function listData(
  client: ApiClient,
  path: string,
): Promise<{ directories: string[]; files: ListedFile[] }> {
  const directories: string[] = [];
  const files: ListedFile[] = [];
  let next: string | undefined;
  do {
    const query = new URLSearchParams({ path, ...(next ? { next } : {}) });
    const { body } = await client.request<ListResponse>('GET', `/api/data/list?${query}`);
    directories.push(...body.Directories);
    files.push(...body.Files);
    next = body.next;
  } while (next);
  return { directories, files };
}

/** Uploads `file` to `se` as `lfn` and registers it, with `metadata` (DIRAC's dirac-dms-add-file). */
export async function addData(
  client: ApiClient,
  lfn: string,
  se: string,
  file: string,
  metadata: Readonly<Record<string, MetaValue>>,
): Promise<void> {
  const size = (await stat(file)).size;
  const { body: target } = await client.request<UploadTarget>('POST', '/api/data/upload', {
    LFN: lfn,
    SE: se,
    Size: size,
  });
  await uploadToTarget(target, file);
  await client.request('POST', '/api/data/register', {
    LFN: lfn,
    SE: se,
    PFN: target.pfn,
    Size: size,
    Checksum: await adler32File(file),
    ...(Object.keys(metadata).length > 0 ? { Metadata: metadata } : {}),
  });
}

export async function setMetadata(
  client: ApiClient,
  path: string,
  metadata: Readonly<Record<string, MetaValue>>,
  types: Readonly<Record<string, MetaType>>,
): Promise<void> {
  await client.request('POST', '/api/data/metadata', {
    Path: path,
    Metadata: metadata,
    ...(Object.keys(types).length > 0 ? { Types: types } : {}),
  });
}

export interface ShownMetadata {
  readonly Path: string;
  readonly Kind: 'file' | 'directory';
  readonly Metadata: Record<string, MetaValue>;
  readonly Inherited: Record<string, { value: MetaValue; from: string }>;
  readonly Types: Record<string, MetaType>;
}

export async function showMetadata(client: ApiClient, path: string): Promise<ShownMetadata> {
  const query = new URLSearchParams({ path });
  return (await client.request<ShownMetadata>('GET', `/api/data/metadata?${query}`)).body;
}

/** Every LFN matching `query` (text or JSON form), following the pages. */
export async function findData(
  client: ApiClient,
  query: string | MetaQuery,
  path: string | undefined,
  onPage: (lfns: readonly string[]) => void,
): Promise<void> {
  let next: string | undefined;
  do {
    const { body } = await client.request<FindResponse>('POST', '/api/data/find', {
      Query: query,
      ...(path ? { Path: path } : {}),
      ...(next ? { Next: next } : {}),
    });
    onPage(body.LFNs);
    next = body.next;
  } while (next);
}

export async function replicasOf(client: ApiClient, lfn: string): Promise<ReplicasResponse> {
  const query = new URLSearchParams({ lfn });
  return (await client.request<ReplicasResponse>('GET', `/api/data/replicas?${query}`)).body;
}

/**
 * Removes replicas (the file with its last one). The API deletes what muon stored on `s3`
 * storage elements; a `file` SE's copy is deleted here when this machine sees it.
 */
export async function removeData(client: ApiClient, lfn: string, se?: string): Promise<RemoveResponse> {
  const { body } = await client.request<RemoveResponse>('POST', '/api/data/remove', {
    LFN: lfn,
    ...(se ? { SE: se } : {}),
  });
  for (const replica of body.Removed) {
    if (!replica.Deleted && replica.PFN.startsWith('/') && existsSync(replica.PFN)) await rm(replica.PFN);
  }
  return body;
}
