/**
 * Sandboxes from the client's side: pack local files into a tar.gz, upload it through the presigned
 * URL the sandbox store hands out (nothing is sent when the owner already has the same content),
 * and download and unpack one by its reference.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { type ApiClient, reach } from '#cli/client.ts';
import { CliError } from '#cli/errors.ts';
import { unpackSafely } from '#cli/unpack.ts';
import type { SandboxDownloadResponse, SandboxInfo, SandboxUploadResponse } from '#shared/sandboxes/model.ts';
import { parseReference } from '#shared/sandboxes/reference.ts';
import { packTarGz } from '#shared/sandboxes/tar.ts';

export interface PackedSandbox {
  readonly buffer: Buffer;
  /** Hex sha256 of `buffer`: the sandbox's name in the store. */
  readonly checksum: string;
  readonly size: number;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * A tar.gz of `files` (files or directories, relative to `baseDir`, kept relative in the archive).
 * Portable headers (no user or host names) so the same files pack to the same bytes and the store
 * can recognise a sandbox it already has.
 */
export async function packSandbox(files: readonly string[], baseDir: string): Promise<PackedSandbox> {
  if (files.length === 0) throw new CliError('A sandbox needs at least one file.');
  const buffer = await packTarGz(
    baseDir,
    files.map((file) => insideBase(file, baseDir)),
  );
  return { buffer, checksum: sha256Hex(buffer), size: buffer.length };
}

/** Uploads a packed sandbox and returns its reference (`SB:SandboxSE|/S3/...`). */
export async function uploadSandbox(
  client: ApiClient,
  buffer: Uint8Array,
  checksum: string,
  size: number,
): Promise<string> {
  const info: SandboxInfo = { checksum_algorithm: 'sha256', checksum, size, format: 'tar.gz' };
  const { body } = await client.request<SandboxUploadResponse>('POST', '/api/jobs/sandbox', info);
  if (!('url' in body)) return body.pfn;
  const response = await reach('the sandbox store', body.url, {
    method: body.method,
    headers: body.headers,
    body: buffer,
  });
  if (!response.ok) {
    throw new CliError(`The sandbox upload was refused (${response.status}): ${await response.text()}`);
  }
  return body.pfn;
}

/** Downloads a sandbox's bytes and checks them against the checksum in its reference. */
export async function fetchSandbox(client: ApiClient, pfn: string): Promise<Buffer> {
  const reference = parseReference(pfn);
  if (!reference) throw new CliError(`"${pfn}" is not a sandbox reference.`);
  const { body } = await client.request<SandboxDownloadResponse>(
    'GET',
    `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`,
  );
  const response = await reach('the sandbox store', body.url);
  if (!response.ok) {
    throw new CliError(`The sandbox download failed (${response.status}): ${await response.text()}`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (sha256Hex(bytes) !== reference.checksum) {
    throw new CliError(`The downloaded sandbox does not match its checksum: ${pfn} is damaged.`);
  }
  return bytes;
}

/**
 * Downloads a sandbox, checks its bytes against the checksum in its reference, and unpacks it into
 * `destDir`, refusing entries that would reach outside it. Returns the paths it unpacked, relative
 * to `destDir`.
 */
export async function downloadSandbox(client: ApiClient, pfn: string, destDir: string): Promise<string[]> {
  const bytes = await fetchSandbox(client, pfn);
  mkdirSync(destDir, { recursive: true });
  return unpackSafely(bytes, destDir);
}

function insideBase(file: string, baseDir: string): string {
  const path = (isAbsolute(file) ? relative(resolve(baseDir), file) : normalize(file)) || '.';
  if (path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path)) {
    throw new CliError(`${file} is not inside ${baseDir}: a sandbox keeps paths relative to it.`);
  }
  if (!existsSync(resolve(baseDir, path))) throw new CliError(`${file} does not exist in ${baseDir}.`);
  return path;
}
