/** Removing a job's record, as the JobCleaning agent does (DIRAC's `JobDB.removeJobFromDB`). */
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';

/**
 * Deletes the job (its attributes, description, parameters and history are one item) if it is
 * still at the version read; false when it changed since, or is gone.
 */
export async function removeJobRecord(
  dynamo: DynamoDBDocumentClient,
  table: string,
  job: Pick<JobRecord, 'jobId' | 'version'>,
): Promise<boolean> {
  return conditionHolds(
    dynamo.send(
      new DeleteCommand({
        TableName: table,
        Key: jobKey(job.jobId),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': job.version },
      }),
    ),
  );
}
