/**
 * The two DynamoDB idioms every store repeats, in one place: a conditional write whose failed
 * condition is an answer, not an error (`conditionHolds`), and a query read to its last page
 * (`queryPages`, `queryAll`). The stores keep their keys and expressions; only this control flow
 * lives here.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';

type Item = NonNullable<QueryCommandOutput['Items']>[number];

/** Whether a conditional write held: a failed condition is `false`, any other error is thrown. */
export async function conditionHolds(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * The pages of a query, each read once the one before was handled, so a caller that stops early
 * (its read budget spent) reads no further.
 */
export async function* queryPages(
  dynamo: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncGenerator<QueryCommandOutput> {
  let start: QueryCommandInput['ExclusiveStartKey'];
  do {
    const page = await dynamo.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    yield page;
    start = page.LastEvaluatedKey;
  } while (start);
}

/** Every item a query finds, in the order DynamoDB returns them. */
export async function queryAll(dynamo: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of queryPages(dynamo, input)) for (const item of page.Items ?? []) items.push(item);
  return items;
}
