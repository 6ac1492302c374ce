/**
 * Data on storage elements from the client's side: download a file by its LFN (through a presigned
 * URL, or by copying it from a `file` storage element this machine can see) and list an LFN
 * directory through the file catalog.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { type ApiClient, reach } from '#cli/client.ts';
import { CliError } from '#cli/errors.ts';
import type { DownloadSource, ListResponse } from '#shared/data/model.ts';

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

/** Every file directly in the LFN directory `path`, following the listing's pages. */
export async function listData(client: ApiClient, path: string): Promise<ListedFile[]> {
  const files: ListedFile[] = [];
  let next: string | undefined;
  do {
    const query = new URLSearchParams({ path, ...(next ? { next } : {}) });
    const { body } = await client.request<ListResponse>('GET', `/api/data/list?${query}`);
    files.push(...body.Files);
    next = body.next;
  } while (next);
  return files;
}
