/**
 * CWL payloads. The pilot receives the workflow in the canonical JSON the server stores (the
 * document as submitted, keys sorted) and the job's input object. The wrapper writes them as
 * `job.cwl` and `inputs.json` in the job directory, with every input File and Directory pointed at
 * its local copy: `SB:<SE>|<pfn>#<path>` and sandbox-relative paths at the unpacked input sandbox,
 * `LFN:<lfn>` at the downloaded input data. cwltool runs them with `--outdir outputs` and its
 * temporary directories in the job directory, and prints the output object on its standard output.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isRecord } from '#shared/cwl/types.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { parseJson, stringifyJson } from '#shared/json.ts';
import { JobStepError } from './errors.ts';
import type { JobPaths } from './workdir.ts';

/** cwltool's exit status for a requirement it does not support (UnsupportedRequirement). */
export const unsupportedRequirementExit = 33;

/** Has a URI scheme (two letters at least, so that `C:\` is a path). */
const withScheme = /^[A-Za-z][A-Za-z0-9+.-]+:/;

const isFileObject = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && (value.class === 'File' || value.class === 'Directory');

/** Applies `visit` to every File and Directory in `value` (secondaryFiles and listings included). */
export function mapFileObjects(
  value: unknown,
  visit: (object: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  if (Array.isArray(value)) return value.map((item) => mapFileObjects(item, visit));
  if (!isRecord(value)) return value;
  const mapped = Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, mapFileObjects(item, visit)]),
  );
  return isFileObject(value) ? visit(mapped) : mapped;
}

/** The LFNs the input object's Files name (`LFN:/vo/...`). */
export function inputLfns(inputs: unknown): string[] {
  const lfns: string[] = [];
  mapFileObjects(inputs, (object) => {
    const location = object.location ?? object.path;
    if (typeof location === 'string' && /^LFN:/i.test(location)) lfns.push(location.replace(/^LFN:/i, ''));
    return object;
  });
  return lfns;
}

/** The input object with every sandbox and LFN location replaced by a `file:` URL of the local copy. */
export function localInputs(
  inputs: unknown,
  paths: JobPaths,
  lfnPaths: ReadonlyMap<string, string>,
): unknown {
  const inside = (path: string, location: string) => {
    const absolute = resolve(paths.root, path);
    const rel = relative(paths.root, absolute);
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new JobStepError(
        minorStatus.inputDataResolutionFailed,
        `the input ${location} lies outside the job directory`,
      );
    }
    return absolute;
  };
  const localPath = (location: string): string | undefined => {
    if (/^SB:/i.test(location)) {
      const hash = location.indexOf('#');
      return hash < 0 ? paths.root : inside(location.slice(hash + 1), location);
    }
    if (/^LFN:/i.test(location)) {
      const path = lfnPaths.get(location.replace(/^LFN:/i, ''));
      if (path === undefined) {
        throw new JobStepError(minorStatus.inputDataResolutionFailed, `${location} was not downloaded`);
      }
      return path;
    }
    // Other URLs (http:, file:, ...) and absolute paths are cwltool's to read.
    if (withScheme.test(location) || isAbsolute(location)) return undefined;
    return inside(location, location);
  };
  return mapFileObjects(inputs, (object) => {
    const location = object.location ?? object.path;
    if (typeof location !== 'string') return object;
    const path = localPath(location);
    if (path === undefined) return object;
    const { path: _path, ...rest } = object;
    return { ...rest, location: pathToFileURL(path).href };
  });
}

/** Writes job.cwl and inputs.json; returns the document argument for cwltool (`job.cwl#main` for a packed one). */
export async function writeCwlJob(workflow: unknown, inputs: unknown, paths: JobPaths): Promise<string> {
  await mkdir(paths.cwlTmp, { recursive: true });
  await writeFile(paths.cwlDocument, stringifyJson(workflow));
  await writeFile(paths.cwlInputs, stringifyJson(inputs ?? {}));
  const graph = isRecord(workflow) && Array.isArray(workflow.$graph) ? workflow.$graph : undefined;
  const hasMain = graph?.some(
    (process) => isRecord(process) && ['#main', 'main'].includes(String(process.id)),
  );
  return hasMain ? `${paths.cwlDocument}#main` : paths.cwlDocument;
}

/** Whether the document mentions a DockerRequirement anywhere (requirements or hints, any step). */
export function asksForContainer(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(asksForContainer);
  if (!isRecord(value)) return false;
  if (value.class === 'DockerRequirement' || 'DockerRequirement' in value) return true;
  return Object.values(value).some(asksForContainer);
}

/**
 * The configured cwltool command, so that cwltool's exit status reaches the wrapper: Debian's
 * `python3 -m cwltool` (cwltool 3.1.20230209) drops the status of `main.run()` and always exits 0,
 * so that form runs the same entry point through `-c` instead.
 */
export const cwltoolModuleEntry = 'import sys; from cwltool.main import run; sys.exit(run(sys.argv[1:]))';

export function cwltoolEntry(configured: readonly string[]): string[] {
  const [python, flag, module, ...rest] = configured;
  if (python !== undefined && flag === '-m' && module === 'cwltool') {
    return [python, '-c', cwltoolModuleEntry, ...rest];
  }
  return [...configured];
}

export function cwltoolCommand(
  configured: readonly string[],
  paths: JobPaths,
  document: string,
  useContainer: boolean,
): string[] {
  const tmp = `${paths.cwlTmp}${sep}`;
  return [
    ...cwltoolEntry(configured),
    '--disable-color',
    ...(useContainer ? [] : ['--no-container']),
    '--outdir',
    paths.cwlOutputs,
    '--tmpdir-prefix',
    tmp,
    '--tmp-outdir-prefix',
    tmp,
    document,
    paths.cwlInputs,
  ];
}

/** cwltool's output object, read from the payload's standard output; undefined if it printed none. */
export async function readCwlOutput(stdout: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = parseJson(await readFile(stdout, 'utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
