/**
 * The job wrapper's two extension points, DIRAC's JobExecutionCoordinator: `preProcess` decides
 * what to run, `postProcess` decides what the payload's end means. A community configures its own
 * in `pilot.hooks` as `<module path relative to the configuration file>#<exported function>`;
 * muon's defaults (default-hooks.ts) are used otherwise, and a community hook can call them
 * through `context.defaults()` and change their answer.
 *
 * The contexts are plain data besides `logger` and `defaults`, and `postProcess` gets everything
 * it needs from `result` and the job directory: the payload's exit, its CPU and wall-clock time,
 * std.out/std.err paths, the watchdog's verdict and cwltool's output object. So finalization runs
 * outside the payload, in the wrapper, as DIRAC's HPC transition plan asks (PushJobAgent runs
 * preProcess and postProcess on the edge node and only the payload on the HPC node): a hook may
 * make `preProcess` submit the payload elsewhere (its command waits for the remote job and leaves
 * its results in the job directory) and let `postProcess` read them, merge or check files, and
 * name extra output files, before the wrapper uploads the outputs.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MatchedJob } from '#pilot/api.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger } from '#shared/log.ts';
import type { JobPaths } from './workdir.ts';

export interface HookContext {
  readonly job: MatchedJob;
  /** The job directory, the payload's working directory (removed when the job ends). */
  readonly workDir: string;
  /** Where the wrapper keeps std.out, std.err, job.cwl, inputs.json and cwltool's outputs/. */
  readonly paths: JobPaths;
  readonly site: string;
  readonly gridCE: string;
  /** Cores given to this job. */
  readonly processors: number;
  readonly config: MuonConfig['pilot'];
  readonly logger: Logger;
}

/** What to run: argv (no shell; argv[0] a path or a name looked up on the env's PATH) and the whole environment. */
export interface PayloadCommand {
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** End the job without running (or after running) the payload. */
export type HookVerdict =
  | { readonly status: 'Failed'; readonly minorStatus: string; readonly applicationStatus?: string }
  | { readonly status: 'Rescheduled'; readonly minorStatus: string; readonly reason: string };

export interface PreProcessContext extends HookContext {
  /** CWL jobs: cwltool's document argument (`job.cwl`, or `job.cwl#main` for a packed workflow). */
  readonly cwlDocument?: string;
  /** muon's own preProcess on this context. */
  defaults(): Promise<PreProcessResult>;
}

export type PreProcessResult = PayloadCommand | HookVerdict;
export type PreProcessHook = (context: PreProcessContext) => PreProcessResult | Promise<PreProcessResult>;

/** How the payload ended. Plain data: it can be written to a file and read on another machine. */
export interface PayloadResult {
  /** null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly cpuSeconds: number;
  readonly wallClockSeconds: number;
  /** Paths of the payload's standard output and error. */
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the watchdog killed it: DIRAC's minor status for the limit, and the figures. */
  readonly watchdog?: { readonly minorStatus: string; readonly message: string };
  /** CWL jobs: cwltool's output object, when it printed one. */
  readonly cwlOutput?: Record<string, unknown>;
}

export interface PostProcessContext extends HookContext {
  readonly result: PayloadResult;
  /** muon's own postProcess on this context. */
  defaults(): Promise<PostProcessResult>;
}

/**
 * `Completing`: the outputs are uploaded and the job ends Done (unless an upload fails).
 * `Failed`: only the output sandbox is uploaded. `Rescheduled`: nothing is uploaded.
 * `outputSandbox` / `outputData` add names or globs to the job's own lists.
 */
export type PostProcessResult =
  | {
      readonly status: 'Completing';
      readonly minorStatus: string;
      readonly applicationStatus?: string;
      readonly outputSandbox?: readonly string[];
      readonly outputData?: readonly string[];
    }
  | {
      readonly status: 'Failed';
      readonly minorStatus: string;
      readonly applicationStatus?: string;
      readonly outputSandbox?: readonly string[];
    }
  | { readonly status: 'Rescheduled'; readonly minorStatus: string; readonly reason: string };

export type PostProcessHook = (context: PostProcessContext) => PostProcessResult | Promise<PostProcessResult>;

export interface Hooks {
  readonly preProcess: PreProcessHook;
  readonly postProcess: PostProcessHook;
}

export const isPayloadCommand = (result: PreProcessResult): result is PayloadCommand => 'command' in result;

/** The configured hooks, imported from their modules; `defaults` for those not configured. */
export async function loadHooks(
  configured: MuonConfig['pilot']['hooks'],
  configDir: string,
  defaults: Hooks,
): Promise<Hooks> {
  return {
    preProcess: await loadHook(configured.preProcess, configDir, defaults.preProcess),
    postProcess: await loadHook(configured.postProcess, configDir, defaults.postProcess),
  };
}

async function loadHook<T>(reference: string | undefined, configDir: string, fallback: T): Promise<T> {
  if (reference === undefined) return fallback;
  const at = reference.lastIndexOf('#');
  const file = resolve(configDir, reference.slice(0, at));
  const name = reference.slice(at + 1);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const hook = module[name];
  if (typeof hook !== 'function') {
    throw new TypeError(`pilot.hooks: ${file} does not export a function "${name}" (${reference})`);
  }
  return hook as T;
}
