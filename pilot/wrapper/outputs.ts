/**
 * What a finished job sends back (DIRAC's processJobOutputs), planned before anything is uploaded:
 * - the output sandbox: std.out and std.err always, the `OutputSandbox` names and globs, and for a
 *   CWL job every File and Directory of cwltool's output object that does not go to output data;
 * - output data: the JDL's `OutputData` names and globs (`LFN:` entries keep their LFN), or the
 *   CWL `outputData` entries (`{source | pattern, outputPath, outputSE?}`), each with the storage
 *   elements to try in order;
 * - the missing files: names (not globs) that the payload did not produce;
 * - the unsafe ones: symbolic links to be packed that lead outside the job directory.
 * For a CWL job, names and globs are looked for under `outputs/` (cwltool's --outdir) and in the
 * job directory.
 */
import { readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MatchedJob } from '#pilot/api.ts';
import { userDirectory } from '#shared/data/lfn.ts';
import { mapFileObjects } from './cwl.ts';
import { hasGlob, matchGlob, type TreeEntry, walkTree } from './glob.ts';
import { type JobPaths, privateDirName } from './workdir.ts';

export interface DataFile {
  /** Absolute. */
  readonly path: string;
  readonly lfn: string;
  /** Tried in order. */
  readonly storageElements: readonly string[];
}

export interface OutputPlan {
  /** Relative to the job directory. */
  readonly sandbox: readonly string[];
  readonly data: readonly DataFile[];
  readonly missing: readonly string[];
  /** Symbolic links among the sandbox's entries that lead outside the job directory (not packed). */
  readonly unsafe: readonly string[];
}

export interface PlanInput {
  readonly job: MatchedJob;
  readonly paths: JobPaths;
  readonly cwlOutput?: Record<string, unknown> | undefined;
  /** Added by a postProcess hook. */
  readonly extraSandbox?: readonly string[] | undefined;
  readonly extraData?: readonly string[] | undefined;
  /** False for a failed job: DIRAC uploads no output data then. */
  readonly withData: boolean;
  readonly failoverStorageElements: readonly string[];
}

interface CwlDataEntry {
  readonly source?: string;
  readonly pattern?: string;
  readonly outputPath: string;
  readonly outputSE?: readonly string[];
}

const stripLfn = (lfn: string) => lfn.replace(/^LFN:/i, '');

/** DIRAC's LFN for an output file given by name: under OutputPath, or `<user dir>/<jobId/1000>/<jobId>`. */
export function outputLfn(job: MatchedJob, name: string): string {
  const userDir = userDirectory(job.VO, job.Owner);
  const outputPath = job.OutputPath ? stripLfn(job.OutputPath) : undefined;
  if (outputPath?.startsWith(`/${job.VO}/`)) return posix.join(outputPath, name);
  const dir = outputPath ? outputPath.replace(/^\/+/, '') : `${Math.floor(job.JobID / 1000)}/${job.JobID}`;
  return posix.join(userDir, dir, name);
}

/** The absolute path of a File/Directory object of cwltool's output object. */
function localPathOf(object: Record<string, unknown>): string | undefined {
  if (typeof object.path === 'string') return object.path;
  const location = object.location;
  if (typeof location === 'string' && location.startsWith('file:')) return fileURLToPath(location);
  return undefined;
}

export async function planOutputs(input: PlanInput): Promise<OutputPlan> {
  const { job, paths } = input;
  const cwl = job.Kind === 'cwl';
  const bases = cwl ? ['outputs/', ''] : [''];
  const tree = await walkTree(paths.root, new Set([privateDirName]));
  const sandbox = new Set<string>();
  const missing: string[] = [];
  const data: DataFile[] = [];
  const ses = (own: readonly string[]) => [...new Set([...own, ...input.failoverStorageElements])];

  for (const name of ['std.out', 'std.err']) if (tree.some((entry) => entry.path === name)) sandbox.add(name);
  for (const entry of [...input.job.OutputSandbox, ...(input.extraSandbox ?? [])]) {
    if (cwl && input.cwlOutput && entry in input.cwlOutput) continue; // a CWL output: added below
    const found = find(tree, entry, bases);
    if (found === undefined) missing.push(entry);
    for (const match of found ?? []) sandbox.add(match.path);
  }

  if (input.withData) {
    for (const raw of [...job.OutputData, ...(input.extraData ?? [])]) {
      const entry = cwl ? parseCwlEntry(raw) : undefined;
      if (entry?.source !== undefined) {
        const files = cwlFiles(input.cwlOutput?.[entry.source]);
        if (files.length === 0) missing.push(entry.source);
        for (const path of files) {
          data.push({
            path,
            lfn: posix.join(stripLfn(entry.outputPath), posix.basename(path)),
            storageElements: ses(entry.outputSE ?? job.OutputSE),
          });
        }
        continue;
      }
      const pattern = entry?.pattern ?? raw;
      const explicitLfn = /^LFN:/i.test(pattern) ? stripLfn(pattern) : undefined;
      const name = explicitLfn !== undefined ? posix.basename(explicitLfn) : pattern;
      const found = find(tree, name, bases)?.filter((match) => match.kind === 'file');
      if (found === undefined || (found.length === 0 && !hasGlob(name))) missing.push(raw);
      for (const match of found ?? []) {
        const base = posix.basename(match.path);
        data.push({
          path: resolve(paths.root, match.path),
          lfn: explicitLfn ?? (entry ? posix.join(stripLfn(entry.outputPath), base) : outputLfn(job, base)),
          storageElements: ses(entry?.outputSE ?? job.OutputSE),
        });
      }
    }
  }

  // A CWL output goes in the sandbox unless it is uploaded as output data.
  const uploaded = new Set(data.map((file) => file.path));
  mapFileObjects(input.cwlOutput ?? {}, (object) => {
    const path = localPathOf(object);
    const rel = path === undefined ? undefined : insideRoot(paths.root, path);
    if (path !== undefined && rel !== undefined && !uploaded.has(path)) sandbox.add(rel);
    return object;
  });
  const packed = withoutNested([...sandbox]);
  const unsafe = await escapingLinks(paths.root, tree, packed);
  return { sandbox: packed.filter((path) => !unsafe.includes(path)), data, missing, unsafe };
}

/**
 * Links in or under the packed paths whose target is outside the job directory. Packed as links
 * they leak nothing, but the owner's unpacking would refuse the whole sandbox: the job fails
 * instead, naming them, and they stay out of the archive.
 */
async function escapingLinks(
  root: string,
  tree: readonly TreeEntry[],
  packed: readonly string[],
): Promise<string[]> {
  const links = tree.filter(
    (entry) => entry.link && packed.some((path) => entry.path === path || entry.path.startsWith(`${path}/`)),
  );
  const escaping: string[] = [];
  for (const link of links) {
    const absolute = join(root, link.path);
    const lexical = resolve(dirname(absolute), await readlink(absolute));
    const real = await realpath(absolute).catch(() => lexical);
    if (insideRoot(root, lexical) === undefined || insideRoot(root, real) === undefined) {
      escaping.push(link.path);
    }
  }
  return escaping;
}

/** The entries a name or glob designates; undefined for a name that is absent or leaves the job directory. */
function find(tree: readonly TreeEntry[], entry: string, bases: readonly string[]): TreeEntry[] | undefined {
  if (hasGlob(entry)) return matchGlob(tree, entry, bases);
  const name = posix.normalize(entry).replace(/\/+$/, '');
  if (name.startsWith('../') || name === '..' || posix.isAbsolute(name)) return undefined;
  for (const base of bases) {
    const match = tree.find((item) => item.path === `${base}${name}`);
    if (match) return [match];
  }
  return undefined;
}

function parseCwlEntry(raw: string): CwlDataEntry | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as CwlDataEntry).outputPath === 'string'
    ) {
      return value as CwlDataEntry;
    }
  } catch {
    // A plain name or glob, as in a JDL.
  }
  return undefined;
}

/** The local paths of the Files of one CWL output value. */
function cwlFiles(value: unknown): string[] {
  const files: string[] = [];
  mapFileObjects(value ?? null, (object) => {
    const path = object.class === 'File' ? localPathOf(object) : undefined;
    if (path !== undefined) files.push(path);
    return object;
  });
  return files;
}

function insideRoot(root: string, path: string): string | undefined {
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** Drops paths inside a directory that is packed too (it would be packed twice). */
function withoutNested(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((path) => !sorted.some((other) => other !== path && path.startsWith(`${other}/`)));
}

/**
 * cwltool's output object as the contract stores it: `lfn:<LFN>` for a file uploaded as output
 * data, `sandbox:<path>` for one in the output sandbox, no location for one stored nowhere; no
 * local paths.
 */
export function contractCwlOutput(
  cwlOutput: Record<string, unknown>,
  root: string,
  lfnByPath: ReadonlyMap<string, string>,
  sandbox: readonly string[],
): unknown {
  const packed = (rel: string) => sandbox.some((entry) => rel === entry || rel.startsWith(`${entry}/`));
  return mapFileObjects(cwlOutput, (object) => {
    const path = localPathOf(object);
    if (path === undefined) return object;
    const { path: _path, dirname: _dirname, location: _location, ...rest } = object;
    const lfn = lfnByPath.get(path);
    const rel = insideRoot(root, path);
    if (lfn !== undefined) return { ...rest, location: `lfn:${lfn}` };
    return rel !== undefined && packed(rel) ? { ...rest, location: `sandbox:${rel}` } : rest;
  });
}
