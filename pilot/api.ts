/**
 * What the pilot and its job wrappers need from the muon API (see docs/pilots.md, API). The
 * pilot implements it over HTTP (pilot/http-api.ts); tests may implement it in memory. Two
 * credentials: the pilot's own (`PilotApi`: registration, the matcher, the batched statuses and
 * heartbeats of all its jobs) and, for each job, the job's payload token (`JobApi`: everything the
 * job wrapper does for that one job), so that a wrapper step can never act for another job.
 */

import type { TokenSource } from '#pilot/token.ts';
import type { MetaValue } from '#shared/catalog/query.ts';
import type { DownloadSource, UploadTarget } from '#shared/data/model.ts';
import type { JobDescription } from '#shared/jobs/model.ts';

/** The matcher's answer for one job (shared/matcher/answer.ts `matchedJob`). */
export interface MatchedJob {
  readonly JobID: number;
  readonly VO: string;
  readonly Owner: string;
  readonly OwnerGroup: string;
  readonly JobType: string;
  readonly JobName: string;
  readonly CPUTime: number;
  readonly Kind: 'cwl' | 'jdl';
  readonly JDL?: string;
  /** The CWL document (the canonical JSON stored once per workflow). */
  readonly Workflow?: unknown;
  /** The CWL job order. */
  readonly Inputs?: Record<string, unknown>;
  readonly Executable?: string;
  readonly Arguments?: string;
  readonly InputSandbox: readonly string[];
  readonly InputData: readonly string[];
  readonly OutputSandbox: readonly string[];
  /** For CWL jobs, JSON-encoded `dirac:Job` outputData entries; for JDL jobs, file names or globs. */
  readonly OutputData: readonly string[];
  readonly OutputSE: readonly string[];
  readonly OutputPath?: string;
  readonly Description: JobDescription;
  /** A bearer token for this job only (docs/pilots.md, Payload isolation); never given to the payload. */
  readonly PayloadToken: string;
  /** When `PayloadToken` expires (ISO). */
  readonly PayloadTokenExpiresAt: string;
}

/** `POST /api/jobs/{jobId}/token`: a new payload token for a job the pilot holds. */
export interface PayloadTokenGrant {
  readonly PayloadToken: string;
  readonly PayloadTokenExpiresAt: string;
}

/** What a pilot tells the matcher about itself (DIRAC's ceDict; shared/matcher/resource-description.ts). */
export interface ResourceRequest {
  readonly Site: string;
  readonly GridCE: string;
  readonly CPUTime: number;
  readonly NumberOfProcessors: number;
  readonly MaxRAM?: number;
  readonly Platform?: string | readonly string[];
  readonly Tag?: readonly string[];
  readonly RequiredTag?: readonly string[];
  readonly WholeNode?: boolean;
  readonly PilotReference?: string;
  /** The pilot's id for this request: a repeat with the same id gets the same job (docs/matcher.md). */
  readonly RequestID?: string;
  /** The request was sent before and may have reached the matcher (it timed out): look it up first. */
  readonly Repeat?: boolean;
}

export interface StatusUpdate {
  readonly Status?: string;
  readonly MinorStatus?: string;
  readonly ApplicationStatus?: string;
  readonly Source?: string;
}

/** DiracX's HeartbeatData. */
export interface HeartbeatData {
  readonly LoadAverage?: number;
  readonly MemoryUsed?: number;
  readonly Vsize?: number;
  readonly AvailableDiskSpace?: number;
  readonly CPUConsumed?: number;
  readonly WallClockTime?: number;
  readonly StandardOutput?: string;
}

export interface JobCommand {
  readonly job_id: number;
  readonly command: string;
}

export interface OutputDataRecord {
  readonly LFN: string;
  readonly SE: string;
  readonly Size: number;
  readonly Checksum: string;
}

export interface JobOutputs {
  readonly CWLOutput?: unknown;
  readonly OutputData?: readonly OutputDataRecord[];
  readonly OutputSandbox?: string;
  readonly MissingFiles?: readonly string[];
}

/** Where to write an output file, and where to read an input file: the data manager's answers. */
export type { DownloadSource, UploadTarget };

export interface PilotRegistration {
  readonly PilotReference: string;
  readonly PilotStamp: string;
  readonly Secret: string;
}

/** Status updates keyed by job id, then by ISO time (DiracX's shape). */
export type StatusBatch = Readonly<Record<string, Readonly<Record<string, StatusUpdate>>>>;

/** The pilot's own calls, made with the pilot credential. */
export interface PilotApi {
  register(body: Record<string, unknown>): Promise<PilotRegistration>;
  setPilotStatus(status: string, reason: string): Promise<void>;
  uploadPilotLog(content: Buffer): Promise<void>;
  /**
   * One job, or undefined when the matcher has none for these resources. A request sent again
   * after a failed attempt (a timeout) carries `Repeat: true` and the same `RequestID`.
   */
  requestJob(request: ResourceRequest): Promise<MatchedJob | undefined>;
  /** The periodic batch of every job's status updates; the API's answer (`{success, failed}`). */
  sendStatuses(updates: StatusBatch): Promise<unknown>;
  /** Heartbeats; the answer carries the commands (Kill) waiting for these jobs. */
  sendHeartbeats(beats: Readonly<Record<string, HeartbeatData>>): Promise<JobCommand[]>;
  /** Jobs the pilot will not run (matched while stopping, too large for the free cores). */
  reschedule(jobIds: readonly number[]): Promise<void>;
  /** A new payload token for one of the pilot's jobs (`POST /api/jobs/{jobId}/token`). */
  payloadToken(jobId: number): Promise<PayloadTokenGrant>;
  /** The API as one job's wrapper uses it: every call carries a token of `tokens`, no pilot credential. */
  forJob(jobId: number, tokens: TokenSource): JobApi;
}

/** What a job wrapper does for its one job, with that job's payload token. */
export interface JobApi {
  /** Downloads one of the job's sandboxes (`SB:...` reference) to `destination` (a file path). */
  downloadSandbox(reference: string, destination: string): Promise<void>;
  /** Uploads the job's output sandbox archive (tar.gz) on its owner's behalf and assigns it; returns its reference. */
  uploadOutputSandbox(archive: string, sha256: string, size: number): Promise<string>;
  /** Where to download an LFN from (a replica, preferring `se` when given). */
  downloadData(lfn: string, se?: string): Promise<DownloadSource>;
  uploadTarget(lfn: string, se: string, size: number): Promise<UploadTarget>;
  registerReplica(
    record: OutputDataRecord & {
      readonly PFN: string;
      /** The file's catalog metadata (the job's `outputMetadata`), set with the registration. */
      readonly Metadata?: Readonly<Record<string, MetaValue>>;
    },
  ): Promise<void>;
  putOutputs(outputs: JobOutputs): Promise<void>;
  /** This job's status updates, when its wrapper flushes them; the API's answer. */
  sendStatuses(updates: StatusBatch): Promise<unknown>;
  /** DIRAC's rescheduleFailedJob for this job. */
  reschedule(): Promise<void>;
}

/** How a job wrapper reports: each update is stamped when it happens and sent in the next batch. */
export interface JobReporter {
  /** Records an update for this job, stamped now; sent with the next heartbeat batch. */
  status(update: StatusUpdate): void;
  /**
   * Sends this job's queued updates now (the wrapper calls it before it ends): through `via`, the
   * job's own API, when given; else with the pilot's batches.
   */
  flush(via?: Pick<JobApi, 'sendStatuses'>): Promise<void>;
}

/** Where and on what a job wrapper runs. */
export interface WrapperContext {
  readonly api: PilotApi;
  readonly reporter: JobReporter;
  /** The validated `pilot` section of the configuration. */
  readonly config: import('#shared/config/schema.ts').MuonConfig['pilot'];
  /** Directory of the configuration file: hook module paths are relative to it. */
  readonly configDir: string;
  /** The wrapper creates `<workRoot>/<jobId>/` and touches nothing outside it. */
  readonly workRoot: string;
  readonly pilotReference: string;
  readonly site: string;
  readonly gridCE: string;
  /** Cores given to this job. */
  readonly processors: number;
  readonly logger: import('#shared/log.ts').Logger;
  /** Where the payload runs: this machine when absent; push mode's submits it to Slurm (pilot/push/). */
  readonly payloadRunner?: import('#pilot/wrapper/payload.ts').PayloadRunner;
}

export type WrapperOutcome =
  | { readonly status: 'Done' }
  | { readonly status: 'Failed'; readonly minorStatus: string }
  | { readonly status: 'Killed' }
  | { readonly status: 'Rescheduled'; readonly reason: string };

/** A running job wrapper, as the pilot sees it. */
export interface WrapperHandle {
  readonly jobId: number;
  /** The watchdog's current figures, for the next heartbeat. */
  heartbeat(): HeartbeatData;
  /** A Kill command arrived with a heartbeat: stop the payload, the job ends Killed. */
  kill(): void;
  /** The pilot must stop (SIGTERM after its grace period): stop the payload and reschedule the job. */
  interrupt(reason: string): void;
  readonly done: Promise<WrapperOutcome>;
}
