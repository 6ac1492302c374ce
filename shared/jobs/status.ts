/**
 * DIRAC's job status vocabulary: the 16 major statuses, the allowed-transition table of
 * `JobsStateMachine` (DIRACCommon `WorkloadManagementSystem/Client/JobStatus.py`), and the minor
 * status strings muon sets (`Client/JobMinorStatus.py` plus the literals DIRAC writes inline).
 *
 * Glossary:
 * - major status: where the job is in its life (`Waiting`, `Running`, ...); one of `jobStatuses`.
 * - minor status: free text saying what is happening inside that status (`"Application"`).
 * - application status: free text the payload or an executor reports (`"Unknown"` by default).
 */
import { z } from 'zod';

/** In DIRAC's level order (`State(level)`), so a status's index is its level. */
export const jobStatuses = [
  'Submitting',
  'Received',
  'Checking',
  'Scouting',
  'Staging',
  'Waiting',
  'Matched',
  'Rescheduled',
  'Running',
  'Stalled',
  'Completing',
  'Completed',
  'Done',
  'Failed',
  'Killed',
  'Deleted',
] as const;

export const jobStatusSchema = z.enum(jobStatuses);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** DIRAC's `JOB_FINAL_STATES`: the payload work is over (Killed joined the list in DIRACCommon). */
export const finalStatuses = [
  'Done',
  'Completed',
  'Failed',
  'Killed',
] as const satisfies readonly JobStatus[];
/** DIRAC's `JOB_REALLY_FINAL_STATES`: the job record will not change any more. */
export const reallyFinal = ['Deleted'] as const satisfies readonly JobStatus[];

export type FinalStatus = (typeof finalStatuses)[number];

export function isFinalStatus(status: JobStatus): status is FinalStatus {
  return (finalStatuses as readonly JobStatus[]).includes(status);
}

/** Whether the job has ended for whoever ran it: final, or deleted. */
export function isEnded(status: JobStatus): boolean {
  return isFinalStatus(status) || (reallyFinal as readonly JobStatus[]).includes(status);
}

/**
 * `current → statuses it may move to`, as DIRAC's `JobsStateMachine`. Two deliberate readings:
 * - Received → Staging is allowed: current DIRAC/DIRACCommon (what DiracX uses) has it; the
 *   research notes' §1.2 table dropped it (their §3.1 DiracX list keeps it).
 * - Deleted has no targets. DIRAC gives Deleted an empty map without a default, so its
 *   `getNextState` returns any candidate (quirk, §11); muon treats Deleted as terminal.
 */
export const allowedTransitions: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  Submitting: ['Received', 'Checking', 'Deleted', 'Killed'],
  Received: ['Scouting', 'Checking', 'Staging', 'Waiting', 'Failed', 'Deleted', 'Killed'],
  Checking: ['Scouting', 'Staging', 'Waiting', 'Rescheduled', 'Failed', 'Deleted', 'Killed'],
  Scouting: ['Checking', 'Failed', 'Stalled', 'Killed'],
  Staging: ['Checking', 'Waiting', 'Failed', 'Killed'],
  Waiting: ['Matched', 'Rescheduled', 'Deleted', 'Killed'],
  Matched: ['Running', 'Failed', 'Rescheduled', 'Killed'],
  Rescheduled: ['Waiting', 'Received', 'Deleted', 'Failed', 'Killed'],
  Running: ['Stalled', 'Done', 'Failed', 'Rescheduled', 'Completing', 'Killed', 'Received'],
  Stalled: ['Running', 'Failed', 'Killed'],
  Completing: ['Done', 'Failed', 'Completed', 'Stalled', 'Killed'],
  Completed: ['Done', 'Failed'],
  Done: ['Deleted'],
  Failed: ['Rescheduled', 'Deleted'],
  Killed: ['Deleted'],
  Deleted: [],
};

/**
 * Whether a job in `from` may be put in `to` without forcing. Staying in the same status is
 * always allowed: it is not a transition (DIRAC only consults the machine when the status
 * changes, and `getNextState(current)` answers `current`).
 */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return from === to || allowedTransitions[from].includes(to);
}

/**
 * The minor statuses muon sets, spelled exactly as DIRAC spells them so that users and DIRAC
 * tooling recognise them. Minor status stays free text: this is the vocabulary, not a closed set.
 */
export const minorStatus = {
  // Submission (JobManager)
  jobAccepted: 'Job accepted',
  bulkTransactionConfirmation: 'Bulk transaction confirmation',
  errorInJdlSyntax: 'Error in JDL syntax',
  illegalJobJdl: 'Illegal Job JDL',
  // Checking: the minor is the name of the executor the job is waiting for
  jobPath: 'JobPath',
  jobSanity: 'JobSanity',
  inputData: 'InputData',
  jobScheduling: 'JobScheduling',
  pilotAgentSubmission: 'Pilot Agent Submission',
  // DIRAC's `JobMinorStatus.INPUT_NOT_AVAILABLE`. The InputData optimizer also reports the
  // lower-case "Input data not available" as an application status; muon uses this spelling.
  inputDataNotAvailable: 'Input Data Not Available',
  inputDataIncorrect: 'Input data not correctly specified',
  impossibleSiteRequirement: 'Impossible site requirement',
  noCandidateSitesAvailable: 'No candidate sites available',
  // Matcher and JobAgent
  assigned: 'Assigned',
  jobReceivedByAgent: 'Job Received by Agent',
  /** The payload waits in the computing element's queue (push mode: Slurm took it). */
  submittingToCe: 'Submitting To CE',
  // JobWrapper
  jobWrapperInitialization: 'Job Wrapper Initialization',
  jobInitialization: 'Job Initialization',
  downloadingInputSandbox: 'Downloading InputSandbox',
  failedDownloadingInputSandbox: 'Failed Downloading InputSandbox',
  inputDataResolution: 'Input Data Resolution',
  application: 'Application',
  applicationFinishedSuccessfully: 'Application Finished Successfully',
  applicationFinishedWithErrors: 'Application Finished With Errors',
  applicationNotFound: 'Application not found',
  applicationThreadFailed: 'Application thread failed',
  applicationThreadDidNotComplete: 'Application thread did not complete',
  exceptionDuringExecution: 'Exception During Execution',
  // muon's job wrapper: bad input and CWL payloads
  unsafeInputSandbox: 'Unsafe input sandbox',
  inputSandboxDownloadFailed: 'Input Sandbox Download Failed',
  inputDataResolutionFailed: 'Input Data Resolution Failed',
  outputSandboxTooLarge: 'Output Sandbox Too Large',
  missingOutputFiles: 'Missing Output Files',
  unsafeOutputFile: 'Unsafe output file',
  unsupportedCwlRequirement: 'Unsupported CWL requirement',
  uploadingOutputSandbox: 'Uploading Output Sandbox',
  outputSandboxUploaded: 'Output Sandbox Uploaded',
  uploadingOutputData: 'Uploading Output Data',
  outputDataUploaded: 'Output Data Uploaded',
  executionComplete: 'Execution Complete',
  pendingRequests: 'Pending Requests',
  failedSendingRequests: 'Failed sending requests',
  goingToRescheduleJob: 'Going to reschedule job',
  jobWrapperExecution: 'JobWrapper execution',
  // Watchdog (§4.3)
  watchdogStalled: 'Watchdog identified this job as stalled',
  exceededWallClockTime: 'Job has exceeded maximum wall clock time',
  insufficientDiskSpace: 'Job has insufficient disk space to continue',
  exceededCpuTimeLimit: 'Job has exceeded maximum CPU time limit',
  reachedQueueCpuLimit: 'Job has reached the CPU limit of the queue',
  receivedKillSignal: 'Received Kill signal',
  // StalledJobAgent
  stalledPilotNotRunning: 'Job stalled: pilot not running',
  // JobManager: kill, delete, reschedule
  markedForTermination: 'Marked for termination',
  checkingAccounting: 'Checking accounting',
  jobRescheduled: 'Job Rescheduled',
  maximumReschedulingsReached: 'Maximum of reschedulings reached',
} as const;

export type KnownMinorStatus = (typeof minorStatus)[keyof typeof minorStatus];
