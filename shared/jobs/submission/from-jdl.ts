/**
 * DIRAC JDL into muon jobs: parse, expand parametric jobs as DIRAC does, and read the attributes
 * DIRAC users write into the job model.
 */
import type { Identity } from '#shared/auth/identity.ts';
import { MuonError } from '#shared/errors.ts';
import {
  type ClassAd,
  expandParametric,
  getBoolean,
  getNumber,
  getString,
  getStringList,
  parseJdl,
  toJdl,
} from '#shared/jdl/index.ts';
import type { DraftJob, SubmissionProblems } from '#shared/jobs/submission/checks.ts';

/** Reads one JDL of a request into drafts, one per (parametric) job; problems go to `problems`. */
export function draftsFromJdl(
  text: string,
  where: string,
  identity: Identity,
  maxJobs: number,
  problems: SubmissionProblems,
): DraftJob[] {
  let ads: ClassAd[];
  try {
    ads = expandParametric(parseJdl(text), { max: maxJobs });
  } catch (error) {
    if (error instanceof MuonError) {
      problems.add(where, error.message);
      return [];
    }
    throw error;
  }
  const drafts: DraftJob[] = [];
  ads.forEach((ad, index) => {
    const at = ads.length > 1 ? `${where} (parametric job ${index})` : where;
    try {
      checkOwner(ad, identity, at, problems);
      drafts.push({ where: at, description: describe(ad) });
    } catch (error) {
      if (!(error instanceof MuonError)) throw error;
      problems.add(at, error.message);
    }
  });
  return drafts;
}

function describe(ad: ClassAd) {
  const exact = getNumber(ad, 'NumberOfProcessors');
  const min = exact ?? getNumber(ad, 'MinNumberOfProcessors');
  const max = exact === undefined ? getNumber(ad, 'MaxNumberOfProcessors') : undefined;
  const maxRamGb = getNumber(ad, 'MaxRAM');
  const jobPath = getStringList(ad, 'JobPath');
  return {
    kind: 'jdl' as const,
    jdl: toJdl(ad),
    executable: getString(ad, 'Executable'),
    arguments: getString(ad, 'Arguments'),
    jobName: getString(ad, 'JobName'),
    jobType: getString(ad, 'JobType'),
    jobGroup: getString(ad, 'JobGroup'),
    priority: getNumber(ad, 'Priority'),
    cpuTime: getNumber(ad, 'CPUTime'),
    platform: getString(ad, 'Platform'),
    sites: getStringList(ad, 'Site'),
    bannedSites: [...getStringList(ad, 'BannedSite'), ...getStringList(ad, 'BannedSites')],
    gridCE: getString(ad, 'GridCE'),
    tags: [...getStringList(ad, 'Tags'), ...getStringList(ad, 'Tag')],
    ...(min !== undefined ? { minProcessors: min } : {}),
    ...(max !== undefined ? { maxProcessors: max } : {}),
    wholeNode: getBoolean(ad, 'WholeNode') ?? false,
    // DIRAC's MaxRAM is in GB.
    ...(maxRamGb !== undefined ? { maxRamMb: Math.round(maxRamGb * 1024) } : {}),
    inputSandbox: getStringList(ad, 'InputSandbox'),
    outputSandbox: getStringList(ad, 'OutputSandbox'),
    inputData: getStringList(ad, 'InputData'),
    outputData: getStringList(ad, 'OutputData').flatMap((item) =>
      item
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
    outputSE: getStringList(ad, 'OutputSE'),
    outputPath: getString(ad, 'OutputPath'),
    ...(jobPath.length > 0 ? { jobPath } : {}),
  };
}

/** A JDL may name its owner; it must then be the submitter (DIRAC: "Wrong Owner in JDL"). */
function checkOwner(ad: ClassAd, identity: Identity, where: string, problems: SubmissionProblems): void {
  const checks: [string, string][] = [
    ['Owner', identity.username],
    ['OwnerGroup', identity.group],
    ['VirtualOrganization', identity.vo],
  ];
  for (const [attribute, expected] of checks) {
    const given = getString(ad, attribute);
    if (given !== undefined && given !== expected) {
      problems.add(where, `Wrong ${attribute} in JDL: "${given}", but you submit as "${expected}"`);
    }
  }
}
