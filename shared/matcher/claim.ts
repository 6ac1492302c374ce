/**
 * The claim: one conditional write that makes a Waiting job Matched. It holds only if the job is
 * still Waiting in the task queue the entry belongs to, so of two pilots that read the same entry
 * exactly one gets the job; the other learns it lost and looks elsewhere.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { JobRecord } from '#shared/jobs/model.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { fromJobItem, jobKey, statusKey } from '#shared/jobs/store/keys.ts';
import { historyEntry } from '#shared/jobs/transitions.ts';

export interface ClaimRequest {
  readonly vo: string;
  readonly jobId: number;
  readonly tqId: string;
  readonly site: string;
  readonly pilotReference: string;
  readonly time: string;
}

export type ClaimResult = { readonly ok: true; readonly job: JobRecord } | { readonly ok: false };

export async function claimJob(
  dynamo: DynamoDBDocumentClient,
  table: string,
  request: ClaimRequest,
): Promise<ClaimResult> {
  const history = historyEntry({
    time: request.time,
    status: 'Matched',
    minorStatus: minorStatus.assigned,
    applicationStatus: 'Unknown',
    source: 'Matcher',
  });
  try {
    const { Attributes } = await dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: jobKey(request.jobId),
        UpdateExpression:
          'SET #status = :matched, #minorStatus = :minor, #applicationStatus = :app, #site = :site, ' +
          '#pilotReference = :pilot, #parameters.#pilotParameter = :pilot, #lastUpdateTime = :time, ' +
          '#lastStatusTime = :time, #statusKey = :statusKey, #version = #version + :one, ' +
          '#history = list_append(#history, :history)',
        ConditionExpression: '#status = :waiting AND #taskQueueId = :tq',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#minorStatus': 'minorStatus',
          '#applicationStatus': 'applicationStatus',
          '#site': 'site',
          '#pilotReference': 'pilotReference',
          '#lastUpdateTime': 'lastUpdateTime',
          '#lastStatusTime': 'lastStatusTime',
          '#statusKey': 'statusKey',
          '#taskQueueId': 'taskQueueId',
          '#parameters': 'parameters',
          '#pilotParameter': 'Pilot_Reference',
          '#version': 'version',
          '#history': 'history',
        },
        ExpressionAttributeValues: {
          ':matched': 'Matched',
          ':waiting': 'Waiting',
          ':minor': minorStatus.assigned,
          ':app': 'Unknown',
          ':site': request.site,
          ':pilot': request.pilotReference,
          ':time': request.time,
          ':statusKey': statusKey(request.vo, 'Matched'),
          ':one': 1,
          ':history': [history],
          ':tq': request.tqId,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { ok: true, job: fromJobItem(Attributes ?? {}) };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { ok: false };
    throw error;
  }
}
