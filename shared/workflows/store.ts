/**
 * CWL workflows, stored once and addressed by the sha256 of their canonical JSON: a thousand jobs
 * of one workflow share one copy. A DynamoDB item holds at most 400 KB, which bounds a workflow.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import { BadRequestError } from '#shared/errors.ts';
import { parseJson } from '#shared/json.ts';

export const maxWorkflowBytes = 350 * 1024;

export async function putWorkflow(
  dynamo: DynamoDBDocumentClient,
  table: string,
  workflow: { id: string; json: string },
  now: string,
): Promise<void> {
  const size = Buffer.byteLength(workflow.json);
  if (size > maxWorkflowBytes) {
    throw new BadRequestError(
      `The workflow is ${size} bytes packed; at most ${maxWorkflowBytes} are stored. Move large inline data to input files.`,
      { code: 'cwl.too_large' },
    );
  }
  // A failed condition is fine: the workflow is stored already, and its id is its content's hash.
  await conditionHolds(
    dynamo.send(
      new PutCommand({
        TableName: table,
        Item: { workflowId: workflow.id, cwl: workflow.json, createdAt: now },
        ConditionExpression: 'attribute_not_exists(workflowId)',
      }),
    ),
  );
}

export async function getWorkflow(
  dynamo: DynamoDBDocumentClient,
  table: string,
  workflowId: string,
): Promise<unknown> {
  const { Item } = await dynamo.send(new GetCommand({ TableName: table, Key: { workflowId } }));
  return Item ? parseJson(Item.cwl as string) : undefined;
}
