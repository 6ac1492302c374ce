/**
 * The live configuration's reading rules (shared/config/live.ts) against a scripted S3: read once,
 * re-checked with If-None-Match after the refresh period, a new document swapped in and every
 * handler sharing the source rebuilt, an invalid one ignored.
 */
import { describe, expect, it } from 'vitest';
import { createLiveConfig, parseConfigLocation, reloadingHandler } from '#shared/config/live.ts';
import { loadConfigFile } from '#shared/config/load.ts';

const base = loadConfigFile('config/muon.yaml');

function scriptedS3(documents: { text: string; etag: string }[]) {
  const asked: (string | undefined)[] = [];
  let current = 0;
  return {
    asked,
    next: () => {
      current += 1;
    },
    send: async (command: { input: { IfNoneMatch?: string } }) => {
      const doc = documents[Math.min(current, documents.length - 1)] as { text: string; etag: string };
      asked.push(command.input.IfNoneMatch);
      if (command.input.IfNoneMatch === doc.etag) {
        throw Object.assign(new Error('Not Modified'), { $metadata: { httpStatusCode: 304 } });
      }
      return { ETag: doc.etag, Body: { transformToString: async () => doc.text } };
    },
  };
}

describe('the live configuration', () => {
  it('reads s3:// locations only', () => {
    expect(parseConfigLocation('s3://b/muon-config/muon.json')).toEqual({
      bucket: 'b',
      key: 'muon-config/muon.json',
    });
    expect(parseConfigLocation('/var/task/muon-config.json')).toBeUndefined();
  });

  it('re-checks after the refresh period and rebuilds every handler on a new document', async () => {
    const changed = { ...base, limits: { ...base.limits, maxJobsPerSubmission: 7 } };
    const s3 = scriptedS3([
      { text: JSON.stringify(base), etag: '"a"' },
      { text: JSON.stringify(changed), etag: '"b"' },
      { text: '{"auth": 3}', etag: '"c"' },
    ]);
    let now = 0;
    const live = createLiveConfig({
      s3: s3 as never,
      location: { bucket: 'b', key: 'k' },
      refreshMs: 1000,
      now: () => now,
    });
    const built: number[] = [];
    const handler = (n: number) =>
      reloadingHandler(live, (config) => {
        built.push(n);
        return async () => config.limits.maxJobsPerSubmission;
      });
    const [one, two] = [handler(1), handler(2)];
    expect(await one(undefined, undefined)).toBe(10_000);
    expect(await two(undefined, undefined)).toBe(10_000);
    now = 500;
    s3.next();
    expect(await one(undefined, undefined)).toBe(10_000);
    expect(s3.asked).toEqual([undefined]);
    now = 1500;
    expect(await one(undefined, undefined)).toBe(7);
    expect(await two(undefined, undefined)).toBe(7);
    expect(s3.asked).toEqual([undefined, '"a"']);
    expect(built).toEqual([1, 2, 1, 2]);
    // An invalid document is ignored: the one in use stays.
    s3.next();
    now = 3000;
    expect(await one(undefined, undefined)).toBe(7);
  });
});
