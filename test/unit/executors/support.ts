import { loadConfigFile } from '#shared/config/load.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { type JobDescription, type JobRecord, jobDescriptionSchema } from '#shared/jobs/model.ts';
import { newJobRecord } from '#shared/jobs/submission/submit.ts';

export function testConfig(): MuonConfig {
  const config = loadConfigFile('config/muon.yaml');
  config.sites['SITE.A.org'] = {
    computingElements: {},
    storageElements: ['A-DISK', 'A-TAPE'],
    banned: false,
  };
  config.sites['SITE.B.org'] = { computingElements: {}, storageElements: ['B-DISK'], banned: false };
  config.sites['SITE.Banned.org'] = { computingElements: {}, storageElements: ['X-DISK'], banned: true };
  for (const [se, kind] of [
    ['A-DISK', 'disk'],
    ['A-TAPE', 'tape'],
    ['B-DISK', 'disk'],
    ['X-DISK', 'disk'],
  ] as const) {
    config.storageElements[se] = { kind, backend: 's3', path: `${se}/` };
  }
  return config;
}

export function job(description: Partial<JobDescription> = {}, record: Partial<JobRecord> = {}): JobRecord {
  const described = jobDescriptionSchema.parse({
    kind: 'jdl',
    jobName: 'j',
    jobType: 'User',
    priority: 1,
    cpuTime: 3600,
    ...description,
  });
  const base = newJobRecord(
    { vo: 'vo.example.org', sub: 's', username: 'alice', group: 'user', properties: ['NormalUser'] },
    7,
    described,
    '2026-01-01T00:00:00.000Z',
  );
  return { ...base, ...record };
}
