/**
 * Storage elements as the data manager uses them. An `s3` SE is a prefix (its `path`) of the
 * sandbox bucket: a replica's PFN is the object key `<path><LFN without its leading />`, written
 * and read through presigned URLs. A `file` SE is a directory on a file system the pilots and
 * users share: the PFN is the absolute path `<path>/<LFN>`, which clients read and write
 * themselves (the API never sees that file system).
 */
import { resolve, sep } from 'node:path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { DownloadSource, UploadTarget } from '#shared/data/model.ts';
import { BadRequestError } from '#shared/errors.ts';
import { headObject, presignDownload, presignUpload, urlValiditySeconds } from '#shared/sandboxes/objects.ts';

export type StorageElementConfig = MuonConfig['storageElements'][string];

export interface StorageElement extends StorageElementConfig {
  readonly name: string;
}

/** The SE named `name`; an unknown name is the caller's mistake, answered with the known ones. */
export function storageElement(config: MuonConfig, name: string): StorageElement {
  const se = config.storageElements[name];
  if (!se) {
    const known = Object.keys(config.storageElements);
    throw new BadRequestError(
      `Unknown storage element "${name}"; known ones: ${known.length > 0 ? known.join(', ') : 'none'}.`,
      { code: 'data.unknown_se' },
    );
  }
  return { name, ...se };
}

/** Where `lfn` lives on `se` (LFNs are checked to have no `.`/`..` segments, so it stays inside). */
export function pfnFor(se: StorageElement, lfn: string): string {
  const relative = lfn.replace(/^\/+/, '');
  if (se.backend === 'file') return `${resolve(se.path)}${sep}${relative.split('/').join(sep)}`;
  const prefix = se.path === '/' ? '' : se.path.replace(/^\/+/, '').replace(/\/*$/, '/');
  return `${prefix}${relative}`;
}

export interface ObjectStore {
  readonly s3: S3Client;
  readonly bucket: () => string;
}

/** A PUT the client may send only with exactly `size` bytes (the length is a signed header). */
export async function uploadTarget(
  store: ObjectStore,
  se: StorageElement,
  lfn: string,
  size: number,
): Promise<UploadTarget> {
  const pfn = pfnFor(se, lfn);
  if (se.backend === 'file') return { backend: 'file', path: pfn, pfn };
  const { url, headers } = await presignUpload(store.s3, store.bucket(), pfn, size);
  return { backend: 's3', url, method: 'PUT', headers, pfn };
}

export async function downloadSource(
  store: ObjectStore,
  se: StorageElement,
  pfn: string,
): Promise<DownloadSource> {
  if (se.backend === 'file') return { backend: 'file', path: pfn };
  return {
    backend: 's3',
    url: await presignDownload(store.s3, store.bucket(), pfn),
    expires_in: urlValiditySeconds,
  };
}

/**
 * The stored object's size, or undefined when it is not there; `unknown` for a `file` SE, whose
 * file system only the clients see.
 */
export async function storedSize(
  store: ObjectStore,
  se: StorageElement,
  pfn: string,
): Promise<number | undefined | 'unknown'> {
  if (se.backend === 'file') return 'unknown';
  return (await headObject(store.s3, store.bucket(), pfn))?.size;
}

/** Deletes a replica's object from an `s3` SE; a `file` SE's file is its clients' to delete. */
export async function deleteStored(store: ObjectStore, se: StorageElement, pfn: string): Promise<boolean> {
  if (se.backend === 'file') return false;
  await store.s3.send(new DeleteObjectCommand({ Bucket: store.bucket(), Key: pfn }));
  return true;
}
