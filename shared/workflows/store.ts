/**
 * CWL workflows, stored once and addressed by the sha256 of their canonical JSON: a thousand jobs
 * of one workflow share one copy. A DynamoDB item holds at most 400 KB, which bounds a workflow.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
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
  try {
    await dynamo.send(
      new PutCommand({
        TableName: table,
        Item: { workflowId: workflow.id, cwl: workflow.json, createdAt: now },
        ConditionExpression: 'attribute_not_exists(workflowId)',
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

export async function getWorkflow(
  dynamo: DynamoDBDocumentClient,
  table: string,
  workflowId: string,
): Promise<unknown> {
  const { Item } = await dynamo.send(new GetCommand({ TableName: table, Key: { workflowId } }));
  return Item ? parseJson(Item.cwl as string) : undefined;
}
