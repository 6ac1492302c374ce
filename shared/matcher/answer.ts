/**
 * What a pilot gets back: everything it needs to run the matched job (DIRAC's Matcher result:
 * the JDL or the CWL workflow and inputs, sandboxes, data, owner and group), or no match with the
 * reason.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { getWorkflow } from '#shared/workflows/store.ts';

export type MatchAnswer =
  | { readonly match: true; readonly job: Record<string, unknown> }
  | { readonly match: false; readonly reason: string };

export const noMatch = (reason: string): MatchAnswer => ({ match: false, reason });

export function matchedJob(job: JobRecord, workflow: unknown): MatchAnswer {
  const d = job.description;
  return {
    match: true,
    job: {
      JobID: job.jobId,
      VO: job.vo,
      Owner: job.owner,
      OwnerGroup: job.ownerGroup,
      JobType: job.jobType,
      JobName: job.jobName,
      JobGroup: job.jobGroup,
      Status: job.status,
      Site: job.site,
      PilotReference: job.parameters.Pilot_Reference,
      TaskQueueID: job.taskQueueId,
      UserPriority: job.userPriority,
      CPUTime: d.cpuTime,
      Kind: d.kind,
      ...(d.jdl !== undefined ? { JDL: d.jdl } : {}),
      ...(workflow !== undefined ? { Workflow: workflow } : {}),
      ...(d.inputs !== undefined ? { Inputs: d.inputs } : {}),
      ...(d.executable !== undefined ? { Executable: d.executable } : {}),
      ...(d.arguments !== undefined ? { Arguments: d.arguments } : {}),
      InputSandbox: d.inputSandbox,
      InputData: d.inputData,
      OutputSandbox: d.outputSandbox,
      OutputData: d.outputData,
      OutputSE: d.outputSE,
      ...(d.outputPath !== undefined ? { OutputPath: d.outputPath } : {}),
      ...(job.requirements ? { Tags: job.requirements.tags, Platforms: job.requirements.platforms } : {}),
      Description: d,
    },
  };
}

/** CWL workflows are immutable (addressed by their hash): an instance keeps the ones it read. */
export function createWorkflowCache(dynamo: DynamoDBDocumentClient, table: string, size = 64) {
  const cache = new Map<string, unknown>();
  return async (workflowId: string | undefined): Promise<unknown> => {
    if (workflowId === undefined) return undefined;
    if (cache.has(workflowId)) return cache.get(workflowId);
    const workflow = await getWorkflow(dynamo, table, workflowId);
    if (workflow === undefined) return undefined;
    if (cache.size >= size) cache.delete(cache.keys().next().value as string);
    cache.set(workflowId, workflow);
    return workflow;
  };
}
