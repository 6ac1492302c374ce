/**
 * The file catalog with metadata over HTTP on the embedded runtime (docs/catalog.md): files
 * registered with metadata, directories, metadata inherited from directories and never set twice
 * on one line of descent, typed keys, DIRAC-style queries, paging, removal, and the catalog events
 * each change sends.
 */
import type { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { put } from '#test/integration/support/identities.ts';
import { bodyOf, startTestRuntime, type TestRuntime } from '#test/integration/support/runtime.ts';

const vo = 'vo.example.org';
const home = `/${vo}/user/a/alice`;
const root = `${home}/catalog`;

describe('File catalog with metadata', () => {
  let runtime: TestRuntime;
  const events: unknown[] = [];

  const post = (path: string, json: unknown, as: 'user' | 'admin' = 'user') =>
    runtime.api(path, { method: 'POST', json, as });
  const get = (path: string, params: Record<string, string>) =>
    runtime.api(`${path}?${new URLSearchParams(params)}`);
  const find = async (query: unknown, extra: Record<string, unknown> = {}) => {
    const response = await post('/api/data/find', { Query: query, Path: root, ...extra });
    expect(response.status, await response.clone().text()).toBe(200);
    return ((await response.json()) as { LFNs: string[] }).LFNs.sort();
  };

  /** Uploads `lfn` to the s3 SE as alice and registers it with `meta`. */
  async function add(lfn: string, meta?: Record<string, unknown>) {
    const text = `content of ${lfn}`;
    const target = await bodyOf(
      await post('/api/data/upload', { LFN: lfn, SE: 'LOCAL-DISK', Size: Buffer.byteLength(text) }),
    );
    await put(target, text);
    return post('/api/data/register', {
      LFN: lfn,
      SE: 'LOCAL-DISK',
      PFN: target.pfn,
      Size: Buffer.byteLength(text),
      Checksum: 'adler32:0a1b2c3d',
      ...(meta ? { Metadata: meta } : {}),
    });
  }

  beforeAll(async () => {
    runtime = await startTestRuntime();
    // What the data manager sends to the catalogEvents queue, whoever consumes it.
    const queue = runtime.resources.queues.catalogEvents as string;
    runtime.aws.sqs.middlewareStack.add(
      (next) => async (args) => {
        if (args.input && (args.input as { QueueUrl?: string }).QueueUrl === queue) {
          const entries = (args.input as SendMessageBatchCommand['input']).Entries ?? [];
          for (const entry of entries) events.push(JSON.parse(entry.MessageBody as string));
        }
        return next(args);
      },
      { step: 'initialize', name: 'catalogEventsSpy' },
    );
    for (let run = 1; run <= 6; run += 1) {
      const response = await add(`${root}/mc/run${run}.root`, {
        run,
        energy: run * 1.5,
        type: run % 2 === 0 ? 'DST' : 'RAW',
        taken: `2024-01-0${run}`,
      });
      expect(response.status, await response.text()).toBe(204);
    }
    expect((await add(`${root}/data/raw1.root`, { run: 100, type: 'RAW' })).status).toBe(204);
  });
  afterAll(() => runtime?.stop());

  it('makes directories of the registered files, listed with their files', async () => {
    const listing = await bodyOf(await get('/api/data/list', { path: root }));
    expect(listing).toEqual({ Directories: [`${root}/data`, `${root}/mc`], Files: [] });
    const mc = (await bodyOf(await get('/api/data/list', { path: `${root}/mc` }))) as {
      Files: { LFN: string; SE: string; Size: number }[];
    };
    expect(mc.Files.map((file) => file.LFN)).toEqual(
      [1, 2, 3, 4, 5, 6].map((r) => `${root}/mc/run${r}.root`),
    );
    expect(mc.Files[0]).toMatchObject({ SE: 'LOCAL-DISK', Size: expect.any(Number) });
  });

  it('finds files by every operator, AND-combined', async () => {
    const lfn = (run: number) => `${root}/mc/run${run}.root`;
    expect(await find('run=1..3')).toEqual([lfn(1), lfn(2), lfn(3)]);
    expect(await find('run=1..6 type=RAW')).toEqual([lfn(1), lfn(3), lfn(5)]);
    expect(await find('run in 2,4,100')).toEqual([`${root}/data/raw1.root`, lfn(2), lfn(4)]);
    expect(await find('energy>=6 energy<9')).toEqual([lfn(4), lfn(5)]);
    expect(await find('run>5 run<=100')).toEqual([`${root}/data/raw1.root`, lfn(6)]);
    expect(await find('type!=RAW')).toEqual([lfn(2), lfn(4), lfn(6)]);
    expect(await find('taken>2024-01-04')).toEqual([lfn(5), lfn(6)]);
    expect(await find([{ key: 'run', op: '<', values: [2] }])).toEqual([lfn(1)]);
    // A key no file has yet matches nothing, without an error (a transformation may wait for it).
    expect(await find('nothing=1')).toEqual([]);
  });

  it('gives a directory metadata that everything under it inherits', async () => {
    const set = await post('/api/data/metadata', { Path: `${root}/mc`, Metadata: { campaign: 'MC2024' } });
    expect(set.status, await set.clone().text()).toBe(200);
    expect(await bodyOf(set)).toEqual({
      Path: `${root}/mc`,
      Kind: 'directory',
      Metadata: { campaign: 'MC2024' },
    });
    expect(await find('campaign=MC2024 run<3')).toEqual([`${root}/mc/run1.root`, `${root}/mc/run2.root`]);
    expect(await find('run<3 campaign=MC2024')).toEqual([`${root}/mc/run1.root`, `${root}/mc/run2.root`]);
    const shown = await bodyOf(await get('/api/data/metadata', { path: `${root}/mc/run1.root` }));
    expect(shown).toMatchObject({
      Kind: 'file',
      Metadata: { run: 1, type: 'RAW', energy: 1.5, taken: '2024-01-01T00:00:00.000Z' },
      Inherited: { campaign: { value: 'MC2024', from: `${root}/mc` } },
      Types: { run: 'integer', energy: 'float', type: 'string', taken: 'date', campaign: 'string' },
    });
    expect(events).toContainEqual({ kind: 'directoryChanged', vo, path: `${root}/mc` });
    expect(events).toContainEqual({ kind: 'fileChanged', vo, lfns: [`${root}/mc/run1.root`] });
  });

  it('refuses a key on a line of descent that already has it, above or below', async () => {
    const below = await post('/api/data/metadata', {
      Path: `${root}/mc/run1.root`,
      Metadata: { campaign: 'other' },
    });
    expect(below.status).toBe(409);
    expect(((await below.json()) as { detail: string }).detail).toMatch(`campaign is set on ${root}/mc`);
    const above = await post('/api/data/metadata', { Path: root, Metadata: { run: 7 } });
    expect(above.status).toBe(409);
    expect(((await above.json()) as { detail: string }).detail).toMatch(
      `run is set on something under ${root}`,
    );
    // Nothing was written: the file still has its own value, the directory none.
    expect(await find('run=7')).toEqual([]);
  });

  it('answers a value of the wrong type with a 400 naming the key and its type', async () => {
    const wrong = await post('/api/data/metadata', {
      Path: `${root}/mc/run1.root`,
      Metadata: { run: 'abc' },
    });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { detail: string }).detail).toMatch('"run" is an integer; "abc" is not');
    const float = await post('/api/data/metadata', { Path: `${root}/mc/run1.root`, Metadata: { run: 1.5 } });
    expect(float.status).toBe(400);
    const unregistered = await add(`${root}/mc/bad.root`, { taken: 'yesterday' });
    expect(unregistered.status).toBe(400);
    // Refused before anything was written: no entry, no replica.
    expect((await get('/api/data/replicas', { lfn: `${root}/mc/bad.root` })).status).toBe(404);
    const query = await post('/api/data/find', { Query: 'run>abc' });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { detail: string }).detail).toMatch('"run" is an integer');
    const syntax = await post('/api/data/find', { Query: 'run >' });
    expect(syntax.status).toBe(400);
    expect(((await syntax.json()) as { detail: string }).detail).toMatch('has no value');
  });

  it('declares a key with the type asked for, and holds later values to it', async () => {
    const declared = await post('/api/data/metadata', {
      Path: `${root}/data/raw1.root`,
      Metadata: { luminosity: 3 },
      Types: { luminosity: 'float' },
    });
    expect(declared.status, await declared.clone().text()).toBe(200);
    const later = await post('/api/data/metadata', {
      Path: `${root}/mc/run2.root`,
      Metadata: { luminosity: 2.5 },
    });
    expect(later.status).toBe(200);
    expect(await find('luminosity>2')).toEqual([`${root}/data/raw1.root`, `${root}/mc/run2.root`]);
    const retyped = await post('/api/data/metadata', {
      Path: `${root}/mc/run3.root`,
      Metadata: { luminosity: 1 },
      Types: { luminosity: 'integer' },
    });
    expect(retyped.status).toBe(400);
  });

  it('moves a changed value in the index', async () => {
    const set = await post('/api/data/metadata', { Path: `${root}/mc/run6.root`, Metadata: { type: 'RAW' } });
    expect(set.status).toBe(200);
    expect(await find('type=DST')).toEqual([`${root}/mc/run2.root`, `${root}/mc/run4.root`]);
    expect(await find('type=RAW run>5')).toEqual([`${root}/data/raw1.root`, `${root}/mc/run6.root`]);
  });

  it('pages through the answers with next', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const response = await post('/api/data/find', {
        Query: 'run>0',
        Path: root,
        Limit: 1,
        ...(next ? { Next: next } : {}),
      });
      const body = (await response.json()) as { LFNs: string[]; next?: string };
      seen.push(...body.LFNs);
      next = body.next;
      pages += 1;
    } while (next && pages < 100);
    expect(pages).toBeGreaterThan(1);
    expect(seen.sort()).toEqual((await find('run>0')).sort());
    expect(seen).toHaveLength(7);
    const foreign = await post('/api/data/find', { Query: 'type=RAW', Next: next ?? 'bogus' });
    expect(foreign.status).toBe(400);
  });

  it('removes a file with its last replica, from the catalog, the index and the SE', async () => {
    const lfn = `${root}/mc/run5.root`;
    const source = await bodyOf(await get('/api/data/download', { lfn }));
    const removed = await post('/api/data/remove', { LFN: lfn });
    expect(removed.status, await removed.clone().text()).toBe(200);
    expect(await bodyOf(removed)).toEqual({
      LFN: lfn,
      Removed: [{ SE: 'LOCAL-DISK', PFN: `output-data${lfn}`, Deleted: true }],
      FileRemoved: true,
    });
    expect(await find('run=5')).toEqual([]);
    expect((await get('/api/data/replicas', { lfn })).status).toBe(404);
    expect((await get('/api/data/metadata', { path: lfn })).status).toBe(404);
    expect((await fetch(source.url as string)).status).toBe(404);
    expect((await post('/api/data/remove', { LFN: lfn })).status).toBe(404);
  });
});
