/**
 * A file never misses the transformation it matches because the transformation changed state at
 * the same moment: a catalog event reading the transformations while one reopens, and a cycle
 * completing one while a file joins it. Each race is forced by holding one DynamoDB call back
 * until the other side has written (the production test once ended with a step one file short).
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogEvent } from '#shared/catalog/events.ts';
import { runCycle } from '#shared/transformations/cycle.ts';
import { onCatalogEvent } from '#shared/transformations/events.ts';
import { stateKey, transformationKey } from '#shared/transformations/keys.ts';
import type { TransformationRecord } from '#shared/transformations/model.ts';
import { createEnginePorts, type EnginePorts } from '#shared/transformations/ports.ts';
import { addFile, getFile } from '#shared/transformations/store/files.ts';
import {
  getTransformation,
  putTransformation,
  setState,
  transformationsOf,
} from '#shared/transformations/store/transformations.ts';
import { sweep } from '#shared/transformations/sweep.ts';
import { startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';
import { transformationRecord } from '#test/integration/support/transformations.ts';

const vo = 'vo.example.org';
const lfn = '/vo.example.org/user/a/alice/races/file-1';

function transformation(
  transformationId: number,
  state: TransformationRecord['state'],
): TransformationRecord {
  return transformationRecord(transformationId, {
    state,
    workflowId: 'not-read-by-these-cycles',
    type: 'DataProcessing',
    groupSize: 2,
    inputQuery: [{ key: 'dataset', op: '=', values: ['races'] }],
    scannedAt: new Date().toISOString(),
  });
}

/** The ports with every DynamoDB call first shown to `before`, which may write in between. */
function withHook(
  ports: EnginePorts,
  before: (input: Record<string, unknown>, name: string) => Promise<void>,
): EnginePorts {
  const dynamo = ports.store.dynamo;
  const hooked = new Proxy(dynamo, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: { input: Record<string, unknown>; constructor: { name: string } }) => {
        await before(command.input, command.constructor.name);
        return (target.send as (c: unknown) => Promise<unknown>)(command);
      };
    },
  }) as DynamoDBDocumentClient;
  return { ...ports, store: { ...ports.store, dynamo: hooked } };
}

describe('Transformations: a file and a change of state at the same moment', () => {
  let runtime: TestRuntime;
  let ports: EnginePorts;
  // No sweep or agent: the test drives the cycles and events itself.
  beforeAll(async () => {
    runtime = await startTestRuntime({ scheduleEveryMs: 3_600_000 });
    ports = createEnginePorts(runtime.deps, { flushSeconds: 3600 });
  }, 60_000);
  afterAll(() => runtime?.stop(), 30_000);

  it('a catalog event joins its file to a transformation that reopens while the event reads', async () => {
    const t = transformation(910_001, 'Completed');
    await putTransformation(ports.store, t);
    let flipped = false;
    const event: CatalogEvent = { kind: 'fileChanged', vo, lfns: [lfn] };
    const eventPorts = {
      ...withHook(ports, async (input, name) => {
        // The read that would find it Completed: another file reopens it just before.
        const values = JSON.stringify(input.ExpressionAttributeValues ?? {});
        if (flipped || name !== 'QueryCommand' || !values.includes(vo)) return;
        if (input.IndexName === 'byState' && !values.includes(`${vo}#Completed`)) return;
        flipped = true;
        await setState(ports.store, t, ['Completed'], 'Active', new Date().toISOString());
      }),
      effectiveMetadata: async (lfns: readonly string[]) =>
        new Map(lfns.map((name) => [name, { dataset: 'races' }])),
      findUnder: async () => ({ lfns: [] }),
    };
    await onCatalogEvent(eventPorts, event);
    expect(flipped).toBe(true);
    expect(await getFile(ports.store, t.transformationId, lfn)).toMatchObject({ status: 'Unused' });
  });

  it('a cycle completing a transformation while a file joins it leaves it Active with the file Unused', async () => {
    const t = transformation(910_002, 'Active');
    await putTransformation(ports.store, t);
    let joined = false;
    const completing = withHook(ports, async (input, name) => {
      // The joiner read Active before this write, so it will not reopen: it adds its file now.
      const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
      if (joined || name !== 'UpdateCommand' || values?.[':to'] !== 'Completed') return;
      joined = true;
      await addFile(ports.store, t.transformationId, lfn, new Date().toISOString());
    });
    expect(await runCycle(completing, t.transformationId)).toBe('more');
    expect(joined).toBe(true);
    expect((await getTransformation(ports.store, t.transformationId))?.state).toBe('Active');
    expect(await getFile(ports.store, t.transformationId, lfn)).toMatchObject({ status: 'Unused' });
  });

  it('a cycle reopens a Completed transformation that holds an Unused file', async () => {
    // Looked for when a rescan is due: the last scan ended an hour ago.
    const t = {
      ...transformation(910_003, 'Completed'),
      scannedAt: new Date(Date.now() - 3_600_000).toISOString(),
    };
    await putTransformation(ports.store, t);
    await addFile(ports.store, t.transformationId, lfn, new Date().toISOString());
    await runCycle(ports, t.transformationId);
    expect((await getTransformation(ports.store, t.transformationId))?.state).toBe('Active');
  });

  it('the sweep puts a transformation written before the byVo index into it', async () => {
    const t = transformation(910_004, 'Active');
    await ports.store.dynamo.send(
      new PutCommand({
        TableName: ports.store.table,
        Item: { ...transformationKey(t.transformationId), stateKey: stateKey(vo, t.state), ...t },
      }),
    );
    const ids = async () => (await transformationsOf(ports.store, vo)).map((x) => x.transformationId);
    expect(await ids()).not.toContain(t.transformationId);
    await sweep({ deps: runtime.deps, store: ports.store, vos: [vo] });
    expect(await ids()).toContain(t.transformationId);
  });

  it('a Cleaned transformation leaves the byVo index, which then does not grow with history', async () => {
    const t = transformation(910_005, 'Active');
    await putTransformation(ports.store, t);
    const ids = async () => (await transformationsOf(ports.store, vo)).map((x) => x.transformationId);
    await setState(ports.store, t, ['Active'], 'Cleaning', new Date().toISOString());
    expect(await ids()).toContain(t.transformationId);
    await setState(ports.store, t, ['Cleaning'], 'Cleaned', new Date().toISOString());
    expect(await ids()).not.toContain(t.transformationId);
    expect((await getTransformation(ports.store, t.transformationId))?.state).toBe('Cleaned');
  });
});
