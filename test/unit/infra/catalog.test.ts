/**
 * The file catalog's resources as the shipped definition declares them reach CloudFormation: the
 * fileMetadata table with its byParent index, the catalogEvents queue the data manager may only
 * send to, and the catalog routes behind the authorizer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  idsOf,
  idWhere,
  logicalId,
  referencedIds,
  removeTemporaryDirectories,
  resource,
  roleOfFunction,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from './synth.ts';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
}, 60_000);
afterAll(removeTemporaryDirectories);

const { queueId, tableId } = idsOf(() => synthesized);

describe('MuonStack file catalog', () => {
  it('keeps entries, fields and the metadata index in fileMetadata, listed by parent', () => {
    const table = resource(synthesized.template, tableId('fileMetadata')).Properties;
    expect(table.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byParent',
        KeySchema: [
          { AttributeName: 'parent', KeyType: 'HASH' },
          { AttributeName: 'path', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }),
    ]);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('lets the data manager send catalog events, and not receive them', () => {
    const fn = synthesized.stack.functions.byName.dataManager;
    if (!fn) throw new Error('no dataManager function');
    const statements = statementsOfRole(
      synthesized.template,
      roleOfFunction(synthesized.template, logicalId(synthesized.stack, fn)),
    );
    const onQueue = statements.filter((s) => referencedIds(s.Resource).has(queueId('catalogEvents')));
    const actions = onQueue.flatMap(actionsOf);
    expect(actions).toContain('sqs:SendMessage');
    expect(actions).not.toContain('sqs:ReceiveMessage');
    const queue = resource(synthesized.template, queueId('catalogEvents')).Properties;
    expect(queue.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
  });

  it.each([
    'POST /api/data/metadata',
    'GET /api/data/metadata',
    'POST /api/data/find',
    'POST /api/data/remove',
  ])('serves %s behind the authorizer', (routeKey) => {
    const route = resource(
      synthesized.template,
      idWhere(synthesized.template, 'AWS::ApiGatewayV2::Route', 'RouteKey', routeKey),
    );
    expect(route.Properties.AuthorizationType).toBe('CUSTOM');
  });
});
