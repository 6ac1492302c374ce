/**
 * A job's outputs on the user's machine: its output sandboxes unpacked into one directory, and the
 * CWL output object the job wrapper reported rewritten so that its `sandbox:` locations (relative
 * to the unpacked sandbox) and, on request, its `lfn:` locations (downloaded into `outputs/`)
 * become local `file://` locations. `muon job output` and `muon cwl-runner` build on these.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ApiClient } from '#cli/client.ts';
import { downloadData } from '#cli/data.ts';
import { CliError, USAGE } from '#cli/errors.ts';
import { fetchSandbox } from '#cli/sandbox.ts';
import { unpackSafely } from '#cli/unpack.ts';
import { forEachLimited, mapLimited } from '#shared/concurrency.ts';
import { baseName, lfnProblem } from '#shared/data/lfn.ts';
import type { JobOutputs } from '#shared/jobs/outputs.ts';
import { stringifyJson } from '#shared/json.ts';
import type { JobSandboxes } from '#shared/sandboxes/model.ts';

/** Sandboxes and output files downloaded at once (each is a presigned-URL request, then the bytes). */
const parallelDownloads = 4;

/** The file the rewritten CWL output object is written to, in the output directory. */
export const outputObjectFile = 'cwl.output.json';

export interface DataDownload {
  readonly lfn: string;
  /** Absolute local path. */
  readonly path: string;
}

export interface LocalizedOutput {
  readonly output: unknown;
  /** The `lfn:` files the rewritten object now points at, to download. */
  readonly downloads: readonly DataDownload[];
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const isFileOrDirectory = (value: Json) => value.class === 'File' || value.class === 'Directory';
/** A name of one path segment (a CWL `basename` comes from the job and is not trusted). */
const safeName = (name: unknown) =>
  typeof name === 'string' && name !== '.' && name !== '..' && name !== '' && !/[/\\\0]/.test(name)
    ? name
    : undefined;

/** `relativePath` under `dir`; a path that would leave it (`..`, absolute) is refused. */
export function insideDir(dir: string, relativePath: string): string {
  const path = resolve(dir, relativePath);
  const rel = relative(dir, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new CliError(`The job reported the output location "${relativePath}", outside its directory.`);
  }
  return path;
}

/**
 * The CWL output object with local locations, for outputs unpacked into `dir`. `sandbox:<path>`
 * becomes `file://<dir>/<path>`. With `data`, `lfn:<LFN>` files become files under
 * `<dir>/outputs/` (named by their basename; an LFN whose name is taken goes to
 * `outputs/lfn/<LFN>`), and directories with a listing become the directory holding theirs;
 * without `data`, and for directories without a listing, `lfn:` stays as it is. `taken` lists
 * paths (relative to `dir`) that are in use already, such as the unpacked sandbox.
 */
export function localizeOutputObject(
  output: unknown,
  options: { dir: string; data: boolean; taken?: readonly string[] },
): LocalizedOutput {
  const dir = resolve(options.dir);
  const taken = new Set((options.taken ?? []).map((path) => resolve(dir, path)));
  const placed = new Map<string, string>();
  const downloads: DataDownload[] = [];

  const place = (lfn: string, name: string, parent: string): string => {
    const known = placed.get(lfn);
    if (known) return known;
    let path = join(parent, name);
    if (taken.has(path)) path = insideDir(dir, join('outputs', 'lfn', ...lfn.split('/')));
    taken.add(path);
    placed.set(lfn, path);
    return path;
  };

  const localPath = (entry: Json, parent: string): string | undefined => {
    const location = entry.location as string;
    if (location.startsWith('sandbox:')) return insideDir(dir, location.slice('sandbox:'.length));
    if (!location.startsWith('lfn:') || !options.data) return undefined;
    if (entry.class === 'Directory' && !Array.isArray(entry.listing)) return undefined;
    const lfn = location.slice('lfn:'.length);
    const problem = lfnProblem(lfn);
    if (problem) throw new CliError(`The job reported "${location}", which is not an LFN: ${problem}.`);
    const path = place(lfn, safeName(entry.basename) ?? baseName(lfn), parent);
    if (entry.class === 'File' && !downloads.some((d) => d.lfn === lfn)) downloads.push({ lfn, path });
    return path;
  };

  const visit = (value: unknown, parent: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => visit(item, parent));
    if (!isObject(value)) return value;
    if (!(isFileOrDirectory(value) && typeof value.location === 'string')) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item, parent)]));
    }
    const local = localPath(value, parent);
    // A directory's listing lives in it; a file's secondary files beside it.
    const inner = local === undefined ? parent : value.class === 'Directory' ? local : dirname(local);
    const copy: Json = {};
    for (const [key, item] of Object.entries(value)) copy[key] = visit(item, inner);
    if (local !== undefined) Object.assign(copy, { location: pathToFileURL(local).href, path: local });
    return copy;
  };

  return { output: visit(output, join(dir, 'outputs')), downloads };
}

export interface DownloadedOutputs {
  readonly jobId: number;
  readonly dir: string;
  readonly sandboxes: readonly string[];
  /** Paths unpacked from the sandboxes, relative to `dir`. */
  readonly unpacked: readonly string[];
  readonly data: readonly DataDownload[];
  /** The rewritten CWL output object's file, when the job reported one. */
  readonly outputObject?: string;
}

/** Downloads and unpacks output sandboxes into `dir` (which must exist); returns the unpacked paths. */
export async function unpackOutputSandboxes(
  client: ApiClient,
  references: readonly string[],
  dir: string,
): Promise<string[]> {
  // Fetched together, unpacked in order: a later sandbox's file wins over an earlier one's, as before.
  const archives = await mapLimited(references, parallelDownloads, (reference) =>
    fetchSandbox(client, reference),
  );
  const unpacked: string[] = [];
  for (const bytes of archives) unpacked.push(...(await unpackSafely(bytes, dir)));
  return unpacked;
}

/**
 * Downloads a job's output sandboxes into `dir` and writes its CWL output object there with local
 * locations (see `localizeOutputObject`); with `data`, also downloads its output data into
 * `dir/outputs/`. A job with nothing to download yet is an error that says its status.
 */
export async function downloadJobOutputs(
  client: ApiClient,
  jobId: number,
  options: { dir: string; data: boolean },
): Promise<DownloadedOutputs> {
  const dir = resolve(options.dir);
  await assertNotAFile(dir);
  const [{ body: sandboxes }, { body: outputs }] = await Promise.all([
    client.request<JobSandboxes>('GET', `/api/jobs/${jobId}/sandbox`),
    client.request<JobOutputs>('GET', `/api/jobs/${jobId}/outputs`),
  ]);
  if (sandboxes.Output.length === 0 && Object.keys(outputs).length === 0) {
    const { body: job } = await client.request<{ Status: string; MinorStatus: string }>(
      'GET',
      `/api/jobs/${jobId}`,
    );
    throw new CliError(`Job ${jobId} has no output yet: it is ${job.Status} (${job.MinorStatus}).`);
  }

  await makeDir(dir);
  const unpacked = await unpackOutputSandboxes(client, sandboxes.Output, dir);

  const localized =
    outputs.CWLOutput === undefined
      ? undefined
      : localizeOutputObject(outputs.CWLOutput, { dir, data: options.data, taken: unpacked });
  const data = [...(localized?.downloads ?? [])];
  if (options.data) {
    // Output data the CWL object does not name (a JDL job's OutputData) goes to outputs/ too.
    for (const { LFN } of outputs.OutputData ?? []) {
      if (data.some((d) => d.lfn === LFN)) continue;
      const taken = new Set([...unpacked.map((p) => resolve(dir, p)), ...data.map((d) => d.path)]);
      const byName = join(dir, 'outputs', baseName(LFN));
      data.push({ lfn: LFN, path: taken.has(byName) ? insideDir(dir, join('outputs', 'lfn', LFN)) : byName });
    }
  }
  await forEachLimited(data, parallelDownloads, (download) =>
    downloadData(client, download.lfn, download.path),
  );

  let outputObject: string | undefined;
  if (localized) {
    outputObject = join(dir, outputObjectFile);
    await writeFile(outputObject, `${stringifyJson(localized.output, 2)}\n`);
  }
  return {
    jobId,
    dir,
    sandboxes: sandboxes.Output,
    unpacked,
    data,
    ...(outputObject ? { outputObject } : {}),
  };
}

/** A directory to download into that is a file already is a usage error, found before any request. */
async function assertNotAFile(dir: string): Promise<void> {
  const found = await stat(dir).catch(() => undefined);
  if (found && !found.isDirectory()) {
    throw new CliError(`${dir} is a file, not a directory: give another directory.`, USAGE);
  }
}

/** Makes `dir`, saying which directory could not be made and why instead of a stack trace. */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const why =
      code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of it is a file' : message;
    throw new CliError(`Cannot make the directory ${dir}: ${why}; give another directory.`, 1, {
      cause: error,
    });
  }
}
