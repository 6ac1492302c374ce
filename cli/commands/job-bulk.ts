/**
 * Bulk submission: input sandboxes packed and uploaded a few at a time (each distinct one once),
 * and jobs sent in requests of at most `maxJobsPerRequest`, each with its own Idempotency-Key
 * derived from the submission's key so that running the same command again never duplicates jobs.
 */
import type { ApiClient } from '#cli/client.ts';
import type { InsertedJob, JobApi } from '#cli/commands/job-api.ts';
import { CliError } from '#cli/errors.ts';
import type { Progress } from '#cli/format.ts';
import type { SandboxPlan } from '#cli/inputs.ts';
import { packSandbox, uploadSandbox } from '#cli/sandbox.ts';

/** Jobs per request: well under the API's 10,000, so one request stays small and quick to retry. */
export const maxJobsPerRequest = 1000;
/** Sandboxes packed and uploaded at once. */
export const uploadConcurrency = 8;

/** A submission read and checked, ready to upload its sandboxes and be sent. */
export interface PreparedSubmission {
  /** The API route the chunks go to. */
  readonly path: string;
  readonly jobs: number;
  /** Whether `prepare` uploads any sandbox. */
  readonly uploads: boolean;
  prepare(upload: SandboxUploader, progress: Progress): Promise<Chunk[]>;
}

/** Packs and uploads sandboxes; the same files planned twice are uploaded once. */
export function createSandboxUploader(client: ApiClient) {
  const done = new Map<string, Promise<string>>();
  return (plan: SandboxPlan): Promise<string> => {
    const key = [plan.baseDir, ...plan.entries].join('\u0000');
    let reference = done.get(key);
    if (!reference) {
      reference = packSandbox(plan.entries, plan.baseDir).then((packed) =>
        uploadSandbox(client, packed.buffer, packed.checksum, packed.size),
      );
      done.set(key, reference);
    }
    return reference;
  };
}
export type SandboxUploader = ReturnType<typeof createSandboxUploader>;

/** One request's worth of a submission: the request body and how many jobs it makes. */
export interface Chunk {
  readonly body: unknown;
  readonly jobs: number;
  /** The file each entry of the body came from (a JDL, an input object), to name it in a refusal. */
  readonly sources?: readonly string[];
}

/**
 * The API names a refused entry by its place in the request (`jdl[3]: ...`, `inputs[0]: ...`);
 * the user gave files, so each such line also names the file the entry came from.
 */
export function nameSources(message: string, sources: readonly string[] | undefined): string {
  if (!sources) return message;
  return message.replace(/^((?:jdl|inputs)\[(\d+)\])/gm, (whole: string, _at: string, index: string) => {
    const source = sources[Number(index)];
    return source === undefined ? whole : `${whole} (${source})`;
  });
}

/**
 * Groups units (a JDL, a CWL input object) in order into chunks of at most `max` jobs; a unit is
 * never split, so one bigger than `max` travels alone.
 */
export function chunkUnits<T>(units: readonly { value: T; jobs: number }[], max = maxJobsPerRequest): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let jobs = 0;
  for (const unit of units) {
    if (current.length > 0 && jobs + unit.jobs > max) {
      chunks.push(current);
      current = [];
      jobs = 0;
    }
    current.push(unit.value);
    jobs += unit.jobs;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The key of chunk `index`: the submission's own key when there is one chunk. */
export const chunkKey = (key: string, index: number, count: number): string =>
  count === 1 ? key : `${key}-${index + 1}`;

/**
 * Sends the chunks in order. When one fails after others went through, the error says how many
 * jobs exist and how to send the rest without duplicating them; `submitted` keeps what came back.
 */
export async function sendChunks(
  api: Pick<JobApi, 'submit'>,
  path: string,
  chunks: readonly Chunk[],
  key: { value: string; given: boolean },
  progress: Progress,
  submitted: InsertedJob[],
): Promise<void> {
  for (const [index, chunk] of chunks.entries()) {
    try {
      submitted.push(...(await api.submit(path, chunk.body, chunkKey(key.value, index, chunks.length))));
    } catch (caught) {
      if (!(caught instanceof CliError)) throw caught;
      const error = new CliError(nameSources(caught.message, chunk.sources), caught.exitCode, {
        cause: caught,
      });
      if (index === 0) throw error;
      const total = chunks.reduce((sum, c) => sum + c.jobs, 0);
      const again = key.given
        ? 'Run the same command again'
        : `Run the same command again with --idempotency-key ${key.value}`;
      throw new CliError(
        `${error.message}\n${submitted.length} of ${total} jobs were submitted (requests 1-${index} of ${chunks.length}). ` +
          `${again} to submit the rest without duplicating them.`,
      );
    }
    progress.advance(chunk.jobs);
  }
}
