import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { packCwl } from '#cli/cwl/pack.ts';
import type { Identity } from '#shared/auth/identity.ts';
import type { MetaType } from '#shared/catalog/query.ts';
import { ConflictError } from '#shared/errors.ts';
import { idempotencyKey } from '#shared/productions/keys.ts';
import type { ProductionRecord } from '#shared/productions/model.ts';
import { createProductionService, type TransformationsPort } from '#shared/productions/service.ts';
import type { ProductionStore } from '#shared/productions/store/productions.ts';
import type { TransformationSpecInput, TransformationView } from '#shared/transformations/model.ts';

const alice: Identity = {
  vo: 'vo.example.org',
  sub: 'a',
  username: 'alice',
  group: 'user',
  properties: ['NormalUser'],
};
const request = {
  workflow: packCwl('examples/production/production.cwl').document,
  steps: parse(readFileSync('examples/production/steps.yaml', 'utf8')) as Record<string, unknown>,
};

/** The productions table in memory, with the same conditional semantics as the DynamoDB store. */
function memoryStore(): ProductionStore & { records: Map<number, ProductionRecord> } {
  const records = new Map<number, ProductionRecord>();
  const keys = new Map<string, { productionId: number; requestHash: string }>();
  let next = 0;
  return {
    records,
    allocateId: async () => ++next,
    claimKey: async (scope, claim) => {
      const key = idempotencyKey(scope).pk;
      if (!keys.has(key)) keys.set(key, claim);
      return keys.get(key) as { productionId: number; requestHash: string };
    },
    create: async (record) => {
      if (records.has(Number(record.productionId))) return false;
      records.set(Number(record.productionId), structuredClone(record));
      return true;
    },
    get: async (id) => structuredClone(records.get(id)),
    recordTransformation: async (id, index, transformationId) => {
      const record = records.get(id) as ProductionRecord;
      const steps = [...record.steps];
      if (steps[index]?.transformationId === undefined)
        steps[index] = { ...steps[index], transformationId } as never;
      records.set(id, { ...record, steps });
    },
    setRequested: async () => {},
    listByOwner: async (_vo, _owner, limit, keep) => [...records.values()].filter(keep).slice(0, limit),
  };
}

/**
 * The transformation service's side of the port: it records what was submitted and can be made
 * to crash right after creating a step's transformation, before the production records it.
 */
function transformationsPort(crashAfterCreating?: string) {
  const made: { id: number; spec: TransformationSpecInput }[] = [];
  let crash = crashAfterCreating;
  const port: TransformationsPort = {
    submit: async (_identity, spec) => {
      made.push({ id: made.length + 1, spec });
      if (spec.step === crash) {
        crash = undefined;
        throw new Error('the function died');
      }
      return { transformationId: made.length };
    },
    status: async (_identity, id) =>
      ({
        state: 'Completed',
        type: 'x',
        files: {},
        jobs: {},
        taskCounts: {},
        transformationId: id,
      }) as unknown as TransformationView,
    start: async () => ({}),
    stop: async () => {
      throw new ConflictError('cannot');
    },
    clean: async () => ({}),
    findStep: async (_vo, productionId, step) =>
      made.find((m) => m.spec.productionId === productionId && m.spec.step === step)?.id,
  };
  return { port, made };
}

const service = (store: ProductionStore, port: TransformationsPort, types = new Map<string, MetaType>()) =>
  createProductionService({
    store,
    workflows: { put: async () => {}, get: async () => request.workflow },
    transformations: port,
    catalog: { count: async () => 0, fieldTypes: async () => types },
    now: () => new Date('2026-12-07T00:00:00Z'),
  });

describe('Production submission', () => {
  it('creates one transformation per step, each tagged with the production and its step', async () => {
    const { port, made } = transformationsPort();
    const answer = await service(memoryStore(), port).submit(alice, request, 'k1');
    expect(answer).toEqual({
      productionId: '1',
      steps: [
        { step: 'generate', transformationId: 1 },
        { step: 'process', transformationId: 2 },
        { step: 'merge', transformationId: 3 },
      ],
    });
    expect(made.map((m) => [m.spec.productionId, m.spec.step])).toEqual([
      ['1', 'generate'],
      ['1', 'process'],
      ['1', 'merge'],
    ]);
  });

  it('resumes a submission that died after creating a step, without creating that step twice', async () => {
    const store = memoryStore();
    const { port, made } = transformationsPort('process');
    await expect(service(store, port).submit(alice, request, 'k1')).rejects.toThrow('the function died');
    // The record says what exists: generate recorded, process made but not recorded, merge missing.
    expect(store.records.get(1)?.steps.map((s) => s.transformationId)).toEqual([1, undefined, undefined]);

    const answer = await service(store, port).submit(alice, request, 'k1');
    expect(answer.steps.map((s) => s.transformationId)).toEqual([1, 2, 3]);
    expect(made.map((m) => m.spec.step)).toEqual(['generate', 'process', 'merge']);
  });

  it("keeps the same person's groups apart: each its own key and its own list", async () => {
    const { port } = transformationsPort();
    const productions = service(memoryStore(), port);
    const aliceAsUser2 = { ...alice, group: 'user2' };
    const first = await productions.submit(alice, request, 'k1');
    const second = await productions.submit(aliceAsUser2, request, 'k1');
    expect(second.productionId).not.toBe(first.productionId);
    expect((await productions.list(aliceAsUser2)).map((p) => p.productionId)).toEqual([second.productionId]);
    expect((await productions.list(alice)).map((p) => p.productionId)).toEqual([first.productionId]);
  });

  it('refuses an idempotency key reused for another production', async () => {
    const { port } = transformationsPort();
    const productions = service(memoryStore(), port);
    await productions.submit(alice, request, 'k1');
    const other = { ...request, steps: { ...request.steps, merge: { group_size: 3 } } };
    await expect(productions.submit(alice, other, 'k1')).rejects.toThrow(/was used for another production/);
  });

  it("refuses output metadata that does not fit the type the catalog's key has", async () => {
    const { port } = transformationsPort();
    await expect(
      service(memoryStore(), port, new Map([['campaign', 'integer']])).submit(alice, request),
    ).rejects.toThrow(
      /steps\.generate\.outputMetadata\.campaign: campaign is an integer in the catalog; "demo" is not/,
    );
  });

  it('refuses a bad production before taking an id or writing anything', async () => {
    const store = memoryStore();
    const { port, made } = transformationsPort();
    await expect(
      service(store, port).submit(alice, { ...request, steps: { merge: { group_size: 0 } } }, 'k1'),
    ).rejects.toThrow(/the group size is at least 1/);
    expect(store.records.size).toBe(0);
    expect(made).toEqual([]);
  });

  it('says per step what an action did, and refuses it when no step could take it', async () => {
    const { port } = transformationsPort();
    const productions = service(memoryStore(), port);
    await productions.submit(alice, request);
    const started = await productions.act(alice, 1, 'start');
    expect(started.steps.every((s) => s.done)).toBe(true);
    await expect(productions.act(alice, 1, 'stop')).rejects.toThrow(
      /No step of production 1 could be stopped/,
    );
  });
});
