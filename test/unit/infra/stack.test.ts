import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaMaxConcurrency } from '#infra/constructs/access.ts';
import { scheduleRate } from '#infra/constructs/schedules.ts';
import { resourceDefinition, visibilityTimeoutFactor } from '#infra/definition.ts';
import { batchEnvironmentNames } from '#shared/ce/index.ts';
import { configObjectKey } from '#shared/config/live.ts';
import { loadConfigFile } from '#shared/config/load.ts';
import {
  deadLetterName,
  environmentNames,
  physicalName,
  type QueueName,
  type TableName,
} from '#shared/resources.ts';
import {
  actionsOf,
  idsOf,
  idWhere,
  logicalId,
  prefix,
  referencedIds,
  removeTemporaryDirectories,
  resource,
  roleOfFunction,
  type Synthesized,
  statementsOfRole,
  synthesize,
  syntheticDefinition,
} from './synth.ts';

const definition = syntheticDefinition;
const writeActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
let synthesized: Synthesized;

beforeAll(() => {
  synthesized = synthesize({ definition });
}, 60_000);
afterAll(removeTemporaryDirectories);

const { functionId, queueId, tableId } = idsOf(() => synthesized);
const bucketId = () => logicalId(synthesized.stack, synthesized.stack.bucket.bucket);
const payloadKeyId = () =>
  idWhere(synthesized.template, 'AWS::SecretsManager::Secret', 'Name', `${prefix}-payload-token-key`);

describe('MuonStack tables', () => {
  it('creates every table of the definition on demand, with point-in-time recovery, kept on delete', () => {
    for (const [name, table] of Object.entries(definition.tables)) {
      const created = resource(synthesized.template, tableId(name));
      expect(created.DeletionPolicy).toBe('Retain');
      expect(created.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        KeySchema: [
          { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
          ...(table.sortKey ? [{ AttributeName: table.sortKey.name, KeyType: 'RANGE' }] : []),
        ],
      });
      const indexes = (created.Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[];
      expect(indexes.map((index) => index.IndexName).sort()).toEqual(Object.keys(table.indexes).sort());
      expect(created.Properties.TimeToLiveSpecification).toEqual(
        table.timeToLiveAttribute ? { AttributeName: table.timeToLiveAttribute, Enabled: true } : undefined,
      );
    }
  });
});

describe('MuonStack queues', () => {
  it('gives every queue a dead-letter queue after the definition maxReceiveCount', () => {
    for (const [name, queue] of Object.entries(definition.queues)) {
      const created = resource(synthesized.template, queueId(name));
      expect(created.Properties).toMatchObject({
        VisibilityTimeout: queue.visibilityTimeoutSeconds,
        MessageRetentionPeriod: queue.retentionDays * 86_400,
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          maxReceiveCount: queue.maxReceiveCount,
          deadLetterTargetArn: { 'Fn::GetAtt': [queueId(deadLetterName(name as QueueName)), 'Arn'] },
        },
      });
    }
  });

  it('refuses plain-HTTP access to every queue', () => {
    const policies = Object.values(synthesized.template.findResources('AWS::SQS::QueuePolicy'));
    const guarded = new Set(
      policies
        .filter((policy) => JSON.stringify(policy.Properties).includes('"aws:SecureTransport":"false"'))
        .flatMap((policy) => [...referencedIds(policy.Properties.Queues)]),
    );
    for (const name of Object.keys(definition.queues)) {
      expect(guarded).toContain(queueId(name));
      expect(guarded).toContain(queueId(deadLetterName(name as QueueName)));
    }
  });

  it(`keeps a message invisible for at least ${visibilityTimeoutFactor}x its consumer's timeout`, () => {
    const consumers = Object.entries(definition.functions).filter(([, fn]) => fn.consumes);
    expect(consumers.length).toBeGreaterThan(0);
    for (const [name, fn] of consumers) {
      const timeout = resource(synthesized.template, functionId(name)).Properties.Timeout as number;
      const queue = resource(synthesized.template, queueId(fn.consumes?.queue ?? ''));
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(visibilityTimeoutFactor * timeout);
    }
  });

  it('refuses to synthesize a consumer whose timeout outgrows its queue', () => {
    const executor = syntheticDefinition.functions.jobPathExecutor;
    if (!executor) throw new Error('the synthetic definition lost its executor');
    const slow = { ...executor, timeoutSeconds: 31 };
    const raised = { ...definition, functions: { ...definition.functions, jobPathExecutor: slow } };
    expect(() => synthesize({ definition: raised })).toThrow(/visibility timeout of at least 186 s/);
  });

  it('reports batch item failures from every SQS event source', () => {
    const mappings = synthesized.template.findResources('AWS::Lambda::EventSourceMapping');
    const consumers = Object.entries(definition.functions).filter(([, fn]) => fn.consumes);
    expect(Object.keys(mappings)).toHaveLength(consumers.length);
    for (const [name, fn] of consumers) {
      const [mapping] = Object.values(mappings).filter((m) =>
        referencedIds(m.Properties.FunctionName).has(functionId(name)),
      );
      expect(mapping?.Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [queueId(fn.consumes?.queue ?? ''), 'Arn'] },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: fn.consumes?.batchSize,
        ScalingConfig: { MaximumConcurrency: lambdaMaxConcurrency(fn.consumes?.maxConcurrency ?? 0) },
      });
    }
  });

  it('asks Lambda for at least the 2 concurrent consumers it allows', () => {
    expect([1, 2, 5, 5000].map(lambdaMaxConcurrency)).toEqual([2, 2, 5, 1000]);
  });
});

describe('MuonStack sandbox bucket', () => {
  it('is private, TLS only, encrypted, and expires what the definition says', () => {
    const bucket = resource(synthesized.template, bucketId());
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: unknown[] }).Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        ...definition.bucket.lifecycle.map((rule) =>
          expect.objectContaining({
            Prefix: rule.prefix,
            ExpirationInDays: rule.expireAfterDays,
            Status: 'Enabled',
          }),
        ),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
    const policy = Object.values(synthesized.template.findResources('AWS::S3::BucketPolicy'))[0];
    expect(JSON.stringify(policy?.Properties)).toContain('"aws:SecureTransport":"false"');
  });
});

/**
 * A function's data grants, without the one every function has: GetObject on the live
 * configuration's key (infra/constructs/configuration.ts, checked in configuration.test.ts).
 */
const dataStatements = (template: Template, role: string) =>
  statementsOfRole(template, role).filter(
    (statement) =>
      !(
        JSON.stringify(actionsOf(statement)) === '["s3:GetObject"]' &&
        JSON.stringify(statement.Resource).includes(configObjectKey)
      ),
  );

describe('MuonStack functions', () => {
  it('runs every function on Node.js 22 on arm64, reading the live configuration from S3', () => {
    for (const [name, fn] of Object.entries(definition.functions)) {
      expect(resource(synthesized.template, functionId(name)).Properties).toMatchObject({
        FunctionName: physicalName(prefix, name),
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: fn.timeoutSeconds,
        MemorySize: fn.memoryMb,
        Environment: {
          Variables: {
            [environmentNames.config]: {
              'Fn::Join': ['', ['s3://', expect.anything(), '/muon-config/muon.json']],
            },
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    }
  });

  it('grants each function exactly the tables, queues and bucket it declares, and names them', () => {
    for (const [name, fn] of Object.entries(definition.functions)) {
      const statements = dataStatements(
        synthesized.template,
        roleOfFunction(synthesized.template, functionId(name)),
      );
      const touched = (service: string) =>
        new Set(
          statements
            .filter((statement) => actionsOf(statement).some((action) => action.startsWith(`${service}:`)))
            .flatMap((statement) => [...referencedIds(statement.Resource)]),
        );
      const tables = Object.keys(fn.tables);
      const queues = Object.keys(fn.queues);
      expect(touched('dynamodb'), name).toEqual(new Set(tables.map(tableId)));
      expect(touched('sqs'), name).toEqual(new Set(queues.map(queueId)));
      expect(touched('s3'), name).toEqual(new Set(fn.bucket ? [bucketId()] : []));
      expect(touched('secretsmanager'), name).toEqual(new Set(fn.payloadKey ? [payloadKeyId()] : []));

      const variables = resource(synthesized.template, functionId(name)).Properties.Environment as {
        Variables: Record<string, unknown>;
      };
      const named = Object.entries(variables.Variables).filter(([key]) => key !== environmentNames.config);
      const expected = [
        ...tables.map((table) => [environmentNames.table(table as TableName), { Ref: tableId(table) }]),
        ...queues.map((queue) => [environmentNames.queue(queue as QueueName), { Ref: queueId(queue) }]),
        ...(fn.bucket ? [[environmentNames.bucket, { Ref: bucketId() }]] : []),
        ...(fn.payloadKey ? [[environmentNames.payloadKey, { Ref: payloadKeyId() }]] : []),
        // Checked in pilots.test.ts.
        ...(fn.pilotBatch
          ? [...Object.values(batchEnvironmentNames), 'MUON_API_URL'].map((key) => [key, expect.anything()])
          : []),
        ['NODE_OPTIONS', '--enable-source-maps'],
        // Powertools: the deployment is the service of logs and metrics (operations.test.ts).
        ['POWERTOOLS_SERVICE_NAME', prefix],
        ['POWERTOOLS_METRICS_NAMESPACE', 'muon'],
      ];
      expect(Object.fromEntries(named), name).toEqual(Object.fromEntries(expected));
    }
  });

  it('gives a function that declares nothing no data access at all', () => {
    const bare = Object.entries(resourceDefinition.functions).filter(
      ([, fn]) => Object.keys(fn.tables).length === 0 && Object.keys(fn.queues).length === 0 && !fn.bucket,
    );
    expect(bare.map(([name]) => name)).toContain('authorizer');
    for (const [name] of bare) {
      const statements = dataStatements(
        synthesized.template,
        roleOfFunction(synthesized.template, functionId(name)),
      );
      const actions = statements.flatMap(actionsOf);
      expect(
        actions.filter((action) => /^(dynamodb|sqs|s3):/.test(action)),
        name,
      ).toEqual([]);
    }
  });

  it('lets a read-only function read its one table and write nothing', () => {
    const statements = dataStatements(
      synthesized.template,
      roleOfFunction(synthesized.template, functionId('jobReader')),
    );
    const actions = statements.flatMap(actionsOf);
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).toContain('dynamodb:Query');
    for (const action of writeActions) expect(actions).not.toContain(action);
    const resources = new Set(statements.flatMap((statement) => [...referencedIds(statement.Resource)]));
    expect(resources).toEqual(new Set([tableId('jobs')]));
  });
});

describe('MuonStack HTTP API', () => {
  const config = loadConfigFile('config/muon.yaml');

  it('checks every token with the authorizer function, cached a minute per Authorization header', () => {
    synthesized.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 60,
    });
    const [authorizerId = ''] = Object.keys(
      synthesized.template.findResources('AWS::ApiGatewayV2::Authorizer'),
    );
    expect(referencedIds(resource(synthesized.template, authorizerId).Properties.AuthorizerUri)).toContain(
      functionId('authorizer'),
    );
    // The authorizer verifies the identity provider's tokens with the configured issuer.
    expect(config.auth.issuer).toMatch(/^https:/);
  });

  it('keeps the payload-token key in a generated secret that only its signer and verifier read', () => {
    synthesized.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: `${prefix}-payload-token-key`,
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    const readers = Object.entries(definition.functions)
      .filter(([, fn]) => fn.payloadKey)
      .map(([name]) => name);
    expect(readers.sort()).toEqual(['authorizer', 'matcher']);
  });

  it('protects every route but the public ones, each served by its function', () => {
    const routes = synthesized.template.findResources('AWS::ApiGatewayV2::Route');
    const authorizerId = Object.keys(synthesized.template.findResources('AWS::ApiGatewayV2::Authorizer'))[0];
    const declared = Object.values(definition.functions).flatMap((fn) => fn.routes);
    expect(Object.keys(routes)).toHaveLength(declared.length);
    for (const [name, fn] of Object.entries(definition.functions)) {
      for (const routeKey of fn.routes) {
        const route = resource(
          synthesized.template,
          idWhere(synthesized.template, 'AWS::ApiGatewayV2::Route', 'RouteKey', routeKey),
        );
        if (fn.publicRoutes?.includes(routeKey)) {
          expect(route.Properties.AuthorizationType, routeKey).toBe('NONE');
          expect(route.Properties.AuthorizerId, routeKey).toBeUndefined();
        } else {
          expect(route.Properties.AuthorizationType, routeKey).toBe('CUSTOM');
          expect(route.Properties.AuthorizerId, routeKey).toEqual({ Ref: authorizerId });
        }
        const [integrationId = ''] = referencedIds(route.Properties.Target);
        expect(
          referencedIds(resource(synthesized.template, integrationId).Properties.IntegrationUri),
        ).toContain(functionId(name));
      }
    }
  });

  it('outputs the API URL, the pilot job queue and the pilot job definition', () => {
    expect(Object.keys(synthesized.template.toJSON().Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'PilotJobQueueArn', 'PilotJobDefinitionArn']),
    );
  });
});

/** EventBridge's rate expression for a number of minutes, in the largest whole unit (as CDK writes it). */
const rateExpression = (minutes: number) => {
  const [count, unit] =
    minutes % 1440 === 0
      ? [minutes / 1440, 'day']
      : minutes % 60 === 0
        ? [minutes / 60, 'hour']
        : [minutes, 'minute'];
  return `rate(${count} ${unit}${count === 1 ? '' : 's'})`;
};

describe('MuonStack schedules', () => {
  it('invokes each scheduled agent at its rate, rounded up to whole minutes', () => {
    expect(Object.keys(definition.schedules).length).toBeGreaterThan(0);
    for (const [name, schedule] of Object.entries(definition.schedules)) {
      const rule = synthesized.stack.schedules.byName[name];
      if (!rule) throw new Error(`no rule for ${name}`);
      const minutes = Math.max(1, Math.ceil(schedule.everySeconds / 60));
      expect(resource(synthesized.template, logicalId(synthesized.stack, rule)).Properties).toMatchObject({
        ScheduleExpression: rateExpression(minutes),
        State: 'ENABLED',
        Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionId(schedule.function), 'Arn'] } })],
      });
    }
  });

  it('never runs an agent more often than asked', () => {
    expect([1, 59, 60, 61, 90, 3600].map((seconds) => scheduleRate(seconds).toMinutes())).toEqual([
      1, 1, 1, 2, 2, 60,
    ]);
  });
});
