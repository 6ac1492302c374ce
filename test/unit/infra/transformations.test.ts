/**
 * The transformation system's resources as the shipped definition declares them reach
 * CloudFormation: the transformations table with its sharded indexes, the work queue and its
 * consumer, the catalog-events consumer, the sweep's schedule and the routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { physicalName } from '#shared/resources.ts';
import {
  idsOf,
  idWhere,
  logicalId,
  prefix,
  referencedIds,
  removeTemporaryDirectories,
  resource,
  type Synthesized,
  synthesize,
} from './synth.ts';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
}, 60_000);
afterAll(removeTemporaryDirectories);

const { functionId, queueId } = idsOf(() => synthesized);

describe('MuonStack transformations', () => {
  it('keys file statuses and open tasks by shard in the transformations table', () => {
    const id = idWhere(
      synthesized.template,
      'AWS::DynamoDB::Table',
      'TableName',
      physicalName(prefix, 'transformations'),
    );
    const indexes = resource(synthesized.template, id).Properties.GlobalSecondaryIndexes as {
      IndexName: string;
      KeySchema: { AttributeName: string; KeyType: string }[];
    }[];
    const keysOf = (name: string) => indexes.find((index) => index.IndexName === name)?.KeySchema;
    expect(keysOf('byFileStatus')).toEqual([
      { AttributeName: 'fileStatusKey', KeyType: 'HASH' },
      { AttributeName: 'lfn', KeyType: 'RANGE' },
    ]);
    expect(keysOf('openTasks')).toEqual([
      { AttributeName: 'openKey', KeyType: 'HASH' },
      { AttributeName: 'taskId', KeyType: 'RANGE' },
    ]);
    expect(keysOf('byState')?.[0]).toEqual({ AttributeName: 'stateKey', KeyType: 'HASH' });
    expect(keysOf('byVo')).toEqual([
      { AttributeName: 'voKey', KeyType: 'HASH' },
      { AttributeName: 'transformationId', KeyType: 'RANGE' },
    ]);
  });

  it('feeds the worker from transformationWork and the events consumer from catalogEvents', () => {
    const mappings = Object.values(synthesized.template.findResources('AWS::Lambda::EventSourceMapping'));
    const sourceOf = (fn: string) =>
      mappings.find((m) => referencedIds(m.Properties.FunctionName).has(functionId(fn)))?.Properties
        .EventSourceArn;
    expect(sourceOf('transformationWorker')).toEqual({
      'Fn::GetAtt': [queueId('transformationWork'), 'Arn'],
    });
    expect(sourceOf('transformationEvents')).toEqual({ 'Fn::GetAtt': [queueId('catalogEvents'), 'Arn'] });
    const work = resource(synthesized.template, queueId('transformationWork')).Properties;
    expect(work.VisibilityTimeout).toBeGreaterThanOrEqual(6 * 60);
    expect(work.RedrivePolicy).toMatchObject({ maxReceiveCount: 5 });
  });

  it('runs the sweep every minute and serves the routes from the transformations function', () => {
    const rule = synthesized.stack.schedules.byName.transformations;
    if (!rule) throw new Error('no transformations schedule');
    expect(resource(synthesized.template, logicalId(synthesized.stack, rule)).Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionId('transformationAgent'), 'Arn'] } }),
      ],
    });
    const route = resource(
      synthesized.template,
      idWhere(synthesized.template, 'AWS::ApiGatewayV2::Route', 'RouteKey', 'POST /api/transformations'),
    );
    expect(route.Properties.AuthorizationType).toBe('CUSTOM');
  });
});
