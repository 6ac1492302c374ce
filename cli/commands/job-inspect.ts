/**
 * Looking inside one job: `why` (why a Waiting job is not matched: DIRAC's TaskQueue and pilot
 * comparison, `GET /api/jobs/{id}/matching`), `parameters` (dirac-wms-job-parameters), `peek`
 * (dirac-wms-job-peek: the last lines of the payload's output, as the job wrapper's heartbeats
 * report them) and `jdl` (dirac-wms-job-get-jdl). Tables on a terminal, plain lines when piped,
 * the API's JSON with `--json`.
 */
import type { JobApi } from '#cli/commands/job-api.ts';
import { CliError } from '#cli/errors.ts';
import { formatRows, type Output, toJson } from '#cli/format.ts';

interface PilotSeen {
  readonly Site: string;
  readonly GridCE: string;
  readonly LastSeen: string;
}

/** `GET /api/jobs/{jobId}/matching` (shared/matcher/explain.ts). */
interface MatchingExplanation {
  readonly Waiting: boolean;
  readonly Message: string;
  readonly TaskQueueID?: string;
  readonly Requirements?: Record<string, unknown>;
  readonly Matching?: readonly PilotSeen[];
  readonly NotMatching?: readonly (PilotSeen & { readonly Reason: string })[];
}

const print = (out: Output, text: string) => {
  if (text !== '') out.write(`${text}\n`);
};

export async function showWhy(api: JobApi, jobId: number, json: boolean, out: Output): Promise<void> {
  const { body } = await api.client.request<MatchingExplanation>('GET', `/api/jobs/${jobId}/matching`);
  if (json) return print(out, toJson(body));
  print(out, body.Message);
  if (!body.Waiting) return;
  const requirements = Object.entries(body.Requirements ?? {}).map(([key, value]) => [key, value]);
  if (out.isTTY) print(out, `\nRequirements (task queue ${body.TaskQueueID ?? 'none yet'}):`);
  print(out, formatRows(out, ['Requirement', 'Value'], requirements));
  const sites = [
    ...(body.Matching ?? []).map((p) => [p.Site, p.GridCE, p.LastSeen, 'matches']),
    ...(body.NotMatching ?? []).map((p) => [p.Site, p.GridCE, p.LastSeen, p.Reason]),
  ];
  if (sites.length === 0) return;
  if (out.isTTY) print(out, '\nPilots seen:');
  print(out, formatRows(out, ['Site', 'GridCE', 'LastSeen', 'Verdict'], sites));
}

export async function showParameters(api: JobApi, jobId: number, json: boolean, out: Output): Promise<void> {
  const parameters = ((await api.job(jobId)).Parameters ?? {}) as Record<string, unknown>;
  if (json) return print(out, toJson(parameters));
  const rows = Object.entries(parameters)
    .filter(([name]) => name !== 'StandardOutput')
    .sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) return print(out, `Job ${jobId} has no parameters yet.`);
  print(out, formatRows(out, ['Parameter', 'Value'], rows));
}

export async function showPeek(api: JobApi, jobId: number, out: Output): Promise<void> {
  const job = await api.job(jobId);
  const peek = (job.Parameters as Record<string, unknown> | undefined)?.StandardOutput;
  if (typeof peek !== 'string' || peek === '') {
    throw new CliError(
      `Job ${jobId} has reported no output yet (it is ${job.Status}): the job wrapper sends the last lines with each heartbeat.`,
    );
  }
  out.write(peek.endsWith('\n') ? peek : `${peek}\n`);
}

/** A JDL job's own JDL; for a CWL job, its description written as DIRAC would list it. */
export async function showJdl(api: JobApi, jobId: number, json: boolean, out: Output): Promise<void> {
  const description = ((await api.job(jobId)).Description ?? {}) as Record<string, unknown>;
  if (json) return print(out, toJson(description));
  if (typeof description.jdl === 'string') return print(out, description.jdl.trim());
  print(out, describedAsJdl(description));
}

/** JDL attribute names of the description's fields (DIRAC's names), in the order DIRAC lists them. */
const jdlNames: readonly [string, string][] = [
  ['jobName', 'JobName'],
  ['jobType', 'JobType'],
  ['jobGroup', 'JobGroup'],
  ['executable', 'Executable'],
  ['arguments', 'Arguments'],
  ['priority', 'Priority'],
  ['cpuTime', 'CPUTime'],
  ['platform', 'Platform'],
  ['sites', 'Site'],
  ['bannedSites', 'BannedSite'],
  ['gridCE', 'GridCE'],
  ['tags', 'Tags'],
  ['minProcessors', 'MinNumberOfProcessors'],
  ['maxProcessors', 'MaxNumberOfProcessors'],
  ['wholeNode', 'WholeNode'],
  ['maxRamMb', 'MaxRAM'],
  ['gpus', 'NumberOfGPUs'],
  ['inputSandbox', 'InputSandbox'],
  ['outputSandbox', 'OutputSandbox'],
  ['inputData', 'InputData'],
  ['outputData', 'OutputData'],
  ['outputSE', 'OutputSE'],
  ['outputPath', 'OutputPath'],
  ['jobPath', 'JobPath'],
  ['workflowId', 'WorkflowID'],
];

export function describedAsJdl(description: Record<string, unknown>): string {
  const value = (v: unknown): string | undefined => {
    if (Array.isArray(v))
      return v.length === 0 ? undefined : `{${v.map((item) => JSON.stringify(String(item))).join(', ')}}`;
    if (typeof v === 'number') return String(v);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return v === '' ? undefined : JSON.stringify(v);
    return undefined;
  };
  const lines = jdlNames.flatMap(([field, name]) => {
    const written = value(description[field]);
    return written === undefined ? [] : [`    ${name} = ${written};`];
  });
  return ['[', ...lines, ']'].join('\n');
}
