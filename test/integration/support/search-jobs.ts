/**
 * The jobs the search tests read: a few hundred jobs of two VOs, spread over four blocks of job
 * ids, in five statuses, at three sites, over six months. Written straight into the jobs table.
 */
import { type JobRecord, jobDescriptionSchema } from '#shared/jobs/model.ts';
import type { JobStatus } from '#shared/jobs/status.ts';

const statuses: JobStatus[] = ['Received', 'Waiting', 'Running', 'Done', 'Failed'];
const owners = { lhcb: ['alice', 'bob', 'carol'], dteam: ['alice', 'dave'] } as const;
const sites = ['LCG.CERN.cern', 'LCG.RAL.uk', 'DIRAC.Jenkins.ch'];

/** Job `i` of the test set: ids 1, 11, 21, ... so that 350 jobs span blocks 0 to 3. */
export function makeJob(i: number): JobRecord {
  const vo = i % 4 === 3 ? 'dteam' : 'lhcb';
  const voOwners = owners[vo];
  const status = statuses[i % statuses.length] as JobStatus;
  const month = String(1 + (i % 6)).padStart(2, '0');
  const submissionTime = `2025-${month}-${String(1 + (i % 28)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00.000Z`;
  const started = status === 'Running' || status === 'Done' || status === 'Failed';
  const jobName = i % 2 === 0 ? `mc_${i}` : `user job ${i}`;
  return {
    jobId: 1 + i * 10,
    vo,
    owner: voOwners[i % voOwners.length] as string,
    ownerSub: `sub-${i % 5}`,
    ownerGroup: `${vo}_user`,
    status,
    minorStatus: started ? 'Application' : 'Job accepted',
    applicationStatus: 'Unknown',
    // Independent of the month (i % 6), so every month has jobs at every site.
    site: sites[Math.floor(i / 6) % sites.length] as string,
    jobName,
    jobType: i % 7 === 0 ? 'MCSimulation' : 'User',
    jobGroup: '',
    userPriority: i % 10,
    submissionTime,
    lastUpdateTime: submissionTime,
    lastStatusTime: submissionTime,
    ...(started ? { startExecTime: submissionTime } : {}),
    rescheduleCounter: 0,
    description: jobDescriptionSchema.parse({
      kind: 'jdl',
      jobName,
      jobType: 'User',
      priority: i % 10,
      cpuTime: 3600,
    }),
    parameters: {},
    commands: [],
    history: [
      {
        time: submissionTime,
        status: 'Received',
        minorStatus: 'Job accepted',
        applicationStatus: 'Unknown',
        source: 'JobManager',
        resultingStatus: 'Received',
        applied: true,
      },
      {
        time: submissionTime.replace(':00:00.000Z', ':30:00.000Z'),
        status: status === 'Received' ? 'idem' : status,
        minorStatus: 'idem',
        applicationStatus: 'idem',
        source: 'Test',
        resultingStatus: status,
        applied: true,
      },
    ],
    version: 1,
  };
}

/** The test set: 350 jobs, three quarters lhcb, the rest dteam. */
export const records = Array.from({ length: 350 }, (_, i) => makeJob(i));
