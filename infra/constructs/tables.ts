/**
 * One DynamoDB table per entry of the definition's `tables`: on demand, point-in-time recovery,
 * kept when the stack goes (RETAIN) and protected against deletion by anyone (deletion protection
 * must be turned off on purpose before a table can be deleted, see docs/operations.md).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { IndexDefinition, KeyDefinition } from '#shared/resources.ts';
import { physicalName } from '#shared/resources.ts';
import type { ResourceDefinition } from '../definition.ts';

export interface TablesProps {
  readonly prefix: string;
  readonly tables: ResourceDefinition['tables'];
}

export class Tables extends Construct {
  readonly byName: Readonly<Record<string, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    const byName: Record<string, dynamodb.Table> = {};
    for (const [name, definition] of Object.entries(props.tables)) {
      const table = new dynamodb.Table(this, name, {
        tableName: physicalName(props.prefix, name),
        partitionKey: attribute(definition.partitionKey),
        ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
        // Jobs, pilots and the file catalogue outlive any one deployment of the stack.
        removalPolicy: RemovalPolicy.RETAIN,
        deletionProtection: true,
      });
      for (const [indexName, index] of Object.entries(definition.indexes)) {
        table.addGlobalSecondaryIndex({
          indexName,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
          ...projection(index.projection),
        });
      }
      byName[name] = table;
    }
    this.byName = byName;
  }
}

const attribute = (key: KeyDefinition): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING,
});

function projection(value: IndexDefinition['projection']) {
  if (value === 'ALL') return { projectionType: dynamodb.ProjectionType.ALL };
  if (value === 'KEYS_ONLY') return { projectionType: dynamodb.ProjectionType.KEYS_ONLY };
  return { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...value] };
}
