/**
 * A JDL submission, as DIRAC's `dirac-wms-job-submit` makes it: the local files of each JDL's
 * InputSandbox go in one sandbox and the JDL names the sandbox instead (paths are taken from the
 * JDL's directory and kept relative to it). A parametric JDL stays one JDL, expanded by the API,
 * unless it makes more jobs than one request carries or its local files differ per job
 * (`InputSandbox = {"input_%s.txt"}`): then it is expanded here, as the API would expand it.
 */
import { dirname } from 'node:path';
import {
  chunkUnits,
  maxJobsPerRequest,
  type PreparedSubmission,
  uploadConcurrency,
} from '#cli/commands/job-bulk.ts';
import { CliError, USAGE } from '#cli/errors.ts';
import {
  assertExist,
  hasPlaceholder,
  jdlSandboxEntries,
  type LocalEntry,
  localPath,
  planSandbox,
  readText,
  setJdlSandbox,
} from '#cli/inputs.ts';
import { forEachLimited } from '#shared/concurrency.ts';
import { MuonError } from '#shared/errors.ts';
import { type ClassAd, expandParametric, parametricJobCount, parseJdl, toJdl } from '#shared/jdl/index.ts';

/** The most jobs one parametric JDL may be expanded to here: what one API request may make. */
const maxExpandedJobs = 10_000;

interface JdlUnit {
  readonly file: string;
  readonly ad: ClassAd;
  /** The text sent: the file as written unless its sandbox or expansion changed it. */
  text: string;
  readonly jobs: number;
  readonly locals: readonly LocalEntry[];
  readonly remote: readonly string[];
}

export function planJdl(files: readonly string[]): PreparedSubmission {
  const units = files.flatMap(readJdl);
  return {
    path: '/api/jobs/jdl',
    jobs: units.reduce((sum, unit) => sum + unit.jobs, 0),
    uploads: units.some((unit) => unit.locals.length > 0),
    prepare: async (upload, progress) => {
      await forEachLimited(units, uploadConcurrency, async (unit) => {
        if (unit.locals.length > 0) {
          const plan = planSandbox(
            unit.locals.map((local) => local.path),
            dirname(unit.file),
          );
          setJdlSandbox(unit.ad, unit.remote, await upload(plan));
          unit.text = toJdl(unit.ad);
        }
        progress.advance(unit.jobs);
      });
      return chunkUnits(units.map((unit) => ({ value: unit, jobs: unit.jobs }))).map((chunk) => ({
        body: chunk.map((unit) => unit.text),
        jobs: chunk.reduce((sum, unit) => sum + unit.jobs, 0),
        sources: chunk.map((unit) => unit.file),
      }));
    },
  };
}

function readJdl(file: string): JdlUnit[] {
  const text = readText(file, 'JDL');
  return inFile(file, () => {
    const ad = parseJdl(text);
    const jobs = parametricJobCount(ad) ?? 1;
    const { local } = jdlSandboxEntries(ad);
    const expand = jobs > maxJobsPerRequest || (jobs > 1 && local.some(hasPlaceholder));
    const ads = expand ? expandParametric(ad, { max: maxExpandedJobs }) : [ad];
    return ads.map((one) => {
      const entries = jdlSandboxEntries(one);
      const locals = entries.local.map((entry) => ({
        at: 'InputSandbox',
        path: localPath(entry, dirname(file)),
      }));
      assertExist(locals, file);
      return {
        file,
        ad: one,
        text: expand ? toJdl(one) : text,
        jobs: expand ? 1 : jobs,
        locals,
        remote: entries.remote,
      };
    });
  });
}

/** A JDL that cannot be read (syntax, parametric attributes) is a usage error naming the file. */
function inFile<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof MuonError) throw new CliError(`${file}: ${error.message}`, USAGE);
    throw error;
  }
}
