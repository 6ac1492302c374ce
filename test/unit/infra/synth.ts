/**
 * Building the muon stack for assertions, and reading a synthesized template: which resource has a
 * given physical name, which resources a value refers to, which IAM statements a function holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type ResourceDefinition, resourceDefinition } from '#infra/definition.ts';
import { MuonStack, type MuonStackProps } from '#infra/stack.ts';
import { physicalName } from '#shared/resources.ts';

export const prefix = 'test';

export interface Synthesized {
  readonly app: App;
  readonly stack: MuonStack;
  readonly template: Template;
}

/**
 * Synthesizes without bundling (no esbuild, no Docker) unless `bundle` is set. CDK's built-in
 * CloudFormation validation is left to `cdk synth`: loading it costs seconds per test file.
 */
export function synthesize(props: Partial<MuonStackProps> & { bundle?: boolean } = {}): Synthesized {
  const { bundle = false, ...stackProps } = props;
  const app = new App({
    outdir: temporaryDirectory(),
    builtinCloudFormationValidation: false,
    ...(bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } }),
  });
  const stack = new MuonStack(app, 'MuonTest', { prefix, configPath: 'config/muon.yaml', ...stackProps });
  return { app, stack, template: Template.fromStack(stack) };
}

const temporaryDirectories: string[] = [];

/** A fresh directory under the system's temporary directory, removed by `removeTemporaryDirectories`. */
export function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'muon-infra-'));
  temporaryDirectories.push(directory);
  return directory;
}

export function removeTemporaryDirectories(): void {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

/**
 * The real definition plus what it does not have yet: a reader granted `read` on one table, an SQS
 * consumer that sends on to the next queue, and a scheduled agent with bucket access.
 */
export const syntheticDefinition: ResourceDefinition = {
  ...resourceDefinition,
  functions: {
    ...resourceDefinition.functions,
    jobReader: {
      description: 'Reads one job.',
      entry: 'functions/health.ts',
      timeoutSeconds: 10,
      memoryMb: 256,
      tables: { jobs: 'read' },
      queues: {},
      routes: ['GET /api/test-reader/{jobId}'],
    },
    jobPathExecutor: {
      description: 'The JobPath executor.',
      entry: 'functions/health.ts',
      timeoutSeconds: 30,
      memoryMb: 512,
      tables: { jobs: 'readWrite' },
      queues: { jobPath: 'consume', jobSanity: 'send' },
      routes: [],
      consumes: { queue: 'jobPath', batchSize: 10, maxConcurrency: 1 },
    },
    stalledJobAgent: {
      description: 'Marks stalled jobs.',
      entry: 'functions/health.ts',
      timeoutSeconds: 60,
      memoryMb: 256,
      tables: { jobs: 'readWrite', pilots: 'read' },
      queues: {},
      bucket: 'read',
      routes: [],
    },
  },
  schedules: {
    ...resourceDefinition.schedules,
    stalledJobs: { description: 'Every 90 s.', function: 'stalledJobAgent', everySeconds: 90 },
  },
};

export const logicalId = (stack: MuonStack, construct: IConstruct): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

export type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };

export function resource(template: Template, id: string): Resource {
  const found = template.toJSON().Resources[id] as Resource | undefined;
  if (!found) throw new Error(`No resource ${id} in the template.`);
  return found;
}

/** The id of the one resource of `type` whose `property` equals `value`. */
export function idWhere(template: Template, type: string, property: string, value: unknown): string {
  const ids = Object.entries(template.findResources(type))
    .filter(([, r]) => JSON.stringify(r.Properties?.[property]) === JSON.stringify(value))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`${ids.length} ${type} with ${property} = ${JSON.stringify(value)}.`);
  return ids[0] as string;
}

/**
 * The ids of a function, queue or table by its name in the definition, in the stack a test file
 * synthesizes before its tests (hence `synthesized` is a function).
 */
export function idsOf(synthesized: () => Synthesized) {
  return {
    functionId(name: string): string {
      const { stack } = synthesized();
      const fn = stack.functions.byName[name];
      if (!fn) throw new Error(`no function ${name}`);
      return logicalId(stack, fn);
    },
    queueId: (name: string): string =>
      idWhere(synthesized().template, 'AWS::SQS::Queue', 'QueueName', physicalName(prefix, name)),
    tableId: (name: string): string =>
      idWhere(synthesized().template, 'AWS::DynamoDB::Table', 'TableName', physicalName(prefix, name)),
  };
}

/** Logical ids that a template value refers to through `Ref` and `Fn::GetAtt`. */
export function referencedIds(value: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'Ref' && typeof child === 'string' && !child.startsWith('AWS::')) ids.add(child);
        else if (key === 'Fn::GetAtt' && Array.isArray(child)) ids.add(String(child[0]));
        else visit(child);
      }
    }
  };
  visit(value);
  return ids;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** Every statement of every inline policy attached to the role `roleId`. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => referencedIds(policy.Properties.Roles).has(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export function roleOfFunction(template: Template, functionId: string): string {
  const [roleId] = referencedIds(resource(template, functionId).Properties.Role);
  if (!roleId) throw new Error(`${functionId} has no role.`);
  return roleId;
}
