/**
 * The checks every submitted job passes before anything is stored (DIRAC's JobDescriptionModel
 * and JobManifest.check): VO defaults and limits, known sites, platforms and storage elements, and
 * outputs the data manager would refuse to write.
 * Each problem names where it is (`jdl[0]`, `inputs[3]`) and what to fix; all are reported at once.
 */
import { compatiblePlatforms, isAny } from '#shared/config/platforms.ts';
import type { MuonConfig, VirtualOrganizationConfig } from '#shared/config/schema.ts';
import { outputLocationProblems } from '#shared/data/access.ts';
import { type JobDescription, jobDescriptionSchema } from '#shared/jobs/model.ts';

/** A job description as read from JDL or CWL, before defaults and checks. */
export type DraftDescription = Partial<JobDescription> & Pick<JobDescription, 'kind'>;

export interface DraftJob {
  /** Where the job came from in the request, for messages. */
  readonly where: string;
  readonly description: DraftDescription;
}

export class SubmissionProblems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(`${where}: ${message}`);
  }
  get empty(): boolean {
    return this.list.length === 0;
  }
}

export function checkDraft(
  draft: DraftJob,
  config: MuonConfig,
  vo: { name: string; config: VirtualOrganizationConfig },
  problems: SubmissionProblems,
  /** The user the job runs for: its outputs may not go to another user's directory. */
  owner: string,
): JobDescription | undefined {
  const { where } = draft;
  const limits = vo.config.jobDescription;
  const d = draft.description;
  const before = problems.list.length;

  const cpuTime = d.cpuTime ?? limits.defaultCpuTime;
  if (!Number.isInteger(cpuTime) || cpuTime < limits.minCpuTime || cpuTime > limits.maxCpuTime) {
    problems.add(where, `CPUTime ${cpuTime} is outside [${limits.minCpuTime}, ${limits.maxCpuTime}] seconds`);
  }
  const priority = d.priority ?? limits.defaultPriority;
  if (!Number.isInteger(priority) || priority < 0 || priority > 10) {
    problems.add(where, `Priority ${priority} is outside [0, 10]`);
  }
  const jobType = d.jobType ?? 'User';
  if (!limits.allowedJobTypes.includes(jobType)) {
    problems.add(
      where,
      `JobType "${jobType}" is not allowed for ${vo.name} (allowed: ${limits.allowedJobTypes.join(', ')})`,
    );
  }
  if (d.kind === 'jdl' && !d.executable) problems.add(where, 'Executable is required');

  const inputData = (d.inputData ?? []).map((lfn) => lfn.replace(/^LFN:/i, ''));
  for (const lfn of inputData) {
    if (lfn.includes('//')) problems.add(where, `InputData "${lfn}" contains "//"`);
    else if (!lfn.startsWith(`/${vo.name}/`))
      problems.add(where, `InputData "${lfn}" must start with /${vo.name}/`);
  }
  if (jobType === 'User' && inputData.length > limits.maxInputData) {
    problems.add(where, `${inputData.length} input files; user jobs may have at most ${limits.maxInputData}`);
  }

  const sites = (d.sites ?? []).filter((s) => !isAny(s));
  const bannedSites = (d.bannedSites ?? []).filter((s) => !isAny(s));
  for (const site of [...sites, ...bannedSites]) {
    if (!(site in config.sites)) problems.add(where, `Site "${site}" is not a site of this deployment`);
  }
  if (sites.length > 0 && sites.every((s) => bannedSites.includes(s))) {
    problems.add(where, 'Impossible site requirement: every requested site is also banned');
  }
  if (d.platform && !isAny(d.platform) && compatiblePlatforms(config, d.platform).length === 0) {
    problems.add(
      where,
      `Platform "${d.platform}" is unknown (known: ${Object.keys(config.platforms).join(', ') || 'none'})`,
    );
  }
  for (const problem of outputLocationProblems(vo.name, owner, d)) problems.add(where, problem);
  for (const se of d.outputSE ?? []) {
    if (!(se in config.storageElements))
      problems.add(where, `OutputSE "${se}" is not a storage element of this deployment`);
  }
  const min = d.minProcessors ?? 1;
  if (d.maxProcessors !== undefined && d.maxProcessors !== -1 && d.maxProcessors < min) {
    problems.add(where, `MaxNumberOfProcessors ${d.maxProcessors} is below MinNumberOfProcessors ${min}`);
  }

  const parsed = jobDescriptionSchema.safeParse({
    ...d,
    cpuTime,
    priority,
    jobType,
    jobName: d.jobName || 'Unknown',
    inputData,
    sites,
    bannedSites,
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.add(where, `${issue.path.join('.')}: ${issue.message}`);
  }
  return problems.list.length === before && parsed.success ? parsed.data : undefined;
}
