/**
 * What the stack is built from: `shared/resources.ts`, widened to plain records so tests can inject a
 * synthetic definition (an SQS consumer, a scheduled agent) without touching the real one.
 */
import { ConfigurationError } from '#shared/errors.ts';
import type {
  BucketDefinition,
  FunctionDefinition,
  QueueDefinition,
  ScheduleDefinition,
  TableDefinition,
} from '#shared/resources.ts';
import * as resources from '#shared/resources.ts';

export interface ResourceDefinition {
  readonly tables: Readonly<Record<string, TableDefinition>>;
  readonly queues: Readonly<Record<string, QueueDefinition>>;
  readonly bucket: BucketDefinition;
  readonly functions: Readonly<Record<string, FunctionDefinition>>;
  readonly schedules: Readonly<Record<string, Omit<ScheduleDefinition, 'function'> & { function: string }>>;
}

export const resourceDefinition: ResourceDefinition = {
  tables: resources.tables,
  queues: resources.queues,
  bucket: resources.bucket,
  functions: resources.functions,
  schedules: resources.schedules,
};

/** AWS's advice for an SQS event source: a message stays invisible for 6x its consumer's timeout. */
export const visibilityTimeoutFactor = 6;

const maxRetentionDays = 14;
const routeKeyPattern = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) (\/\S*)$/;

/** `Object.entries` that keeps the key type of a definition's closed records. */
export const entriesOf = <K extends string, V>(record: Readonly<Partial<Record<K, V>>>): [K, V][] =>
  Object.entries(record).filter((entry): entry is [K, V] => entry[1] !== undefined);

/** The named member of a definition record, or a synth-time error naming who asked for it. */
export function lookup<T>(record: Readonly<Record<string, T>>, kind: string, name: string, owner: string): T {
  const value = record[name];
  if (value === undefined)
    throw new ConfigurationError(`${owner} refers to ${kind} "${name}", which is not defined.`);
  return value;
}

export function parseRouteKey(routeKey: string): { method: string; path: string } {
  const match = routeKeyPattern.exec(routeKey);
  if (!match?.[1] || !match[2]) {
    throw new ConfigurationError(`Route "${routeKey}" is not an API Gateway route key like "GET /api/jobs".`);
  }
  return { method: match[1], path: match[2] };
}

/**
 * Fails synth on a definition the cloud would reject or run badly. Every problem is listed at once,
 * as the configuration loader does.
 */
export function checkDefinition(definition: ResourceDefinition): void {
  const problems: string[] = [];
  for (const [name, queue] of Object.entries(definition.queues)) {
    if (queue.retentionDays < 1 || queue.retentionDays > maxRetentionDays) {
      problems.push(`queue ${name}: retentionDays must be between 1 and ${maxRetentionDays}`);
    }
  }
  const routeOwners = new Map<string, string>();
  for (const [name, fn] of Object.entries(definition.functions)) {
    problems.push(...functionProblems(definition, fn).map((problem) => `function ${name}: ${problem}`));
    for (const routeKey of fn.routes) {
      const owner = routeOwners.get(routeKey);
      if (owner) problems.push(`function ${name}: route "${routeKey}" is already served by ${owner}`);
      routeOwners.set(routeKey, name);
    }
  }
  for (const [name, schedule] of Object.entries(definition.schedules)) {
    if (!(schedule.function in definition.functions)) {
      problems.push(`schedule ${name}: function "${schedule.function}" is not defined`);
    }
    if (!(schedule.everySeconds > 0)) problems.push(`schedule ${name}: everySeconds must be positive`);
  }
  if (problems.length > 0) {
    const list = problems.map((problem) => `  ${problem}`).join('\n');
    throw new ConfigurationError(`The resource definition is invalid:\n${list}`);
  }
}

function functionProblems(definition: ResourceDefinition, fn: FunctionDefinition): string[] {
  const problems: string[] = [];
  for (const table of Object.keys(fn.tables)) {
    if (!(table in definition.tables)) problems.push(`table "${table}" is not defined`);
  }
  for (const queue of Object.keys(fn.queues)) {
    if (!(queue in definition.queues)) problems.push(`queue "${queue}" is not defined`);
  }
  for (const routeKey of fn.routes) {
    if (!routeKeyPattern.test(routeKey)) problems.push(`"${routeKey}" is not a route key`);
  }
  for (const routeKey of fn.publicRoutes ?? []) {
    if (!fn.routes.includes(routeKey)) problems.push(`public route "${routeKey}" is not one of its routes`);
  }
  const consumed = entriesOf(fn.queues)
    .filter(([, access]) => access === 'consume' || access === 'consumeAndSend')
    .map(([queue]) => queue);
  if (consumed.length > 1 || consumed[0] !== fn.consumes?.queue) {
    problems.push(`"consumes" must name the one queue it has 'consume' access to`);
  }
  const consumedQueue = fn.consumes && definition.queues[fn.consumes.queue];
  const needed = fn.timeoutSeconds * visibilityTimeoutFactor;
  if (consumedQueue && consumedQueue.visibilityTimeoutSeconds < needed) {
    problems.push(
      `queue ${fn.consumes?.queue} needs a visibility timeout of at least ${needed} s ` +
        `(${visibilityTimeoutFactor}x the ${fn.timeoutSeconds} s timeout), not ${consumedQueue.visibilityTimeoutSeconds} s`,
    );
  }
  return problems;
}
