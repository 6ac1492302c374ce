import { describe, expect, it } from 'vitest';
import { createTimeLeft, discoverResources, type NodeProbe, parseSlurmTimeLeft } from '#pilot/resources.ts';

const gib = 1024 ** 3;

function probe(options: {
  env?: Record<string, string>;
  files?: Record<string, string>;
  squeue?: string[];
  cpus?: number;
}): NodeProbe & { runs: string[][] } {
  const runs: string[][] = [];
  const answers = [...(options.squeue ?? [])];
  return {
    runs,
    env: options.env ?? {},
    readFile: (path) => options.files?.[path],
    run: async (command, args) => {
      runs.push([command, ...args]);
      const answer = answers.shift();
      if (answer === undefined) throw new Error('squeue: not found');
      return answer;
    },
    freeDiskBytes: async () => 50 * gib,
    totalMemoryBytes: () => 16 * gib,
    cpus: () => options.cpus ?? 8,
    hostname: () => 'node1',
  };
}

describe('Pilot resources', () => {
  it('reads SLURM’s time left in every format squeue prints', () => {
    expect(parseSlurmTimeLeft('1-02:03:04\n')).toBe(86_400 + 2 * 3600 + 3 * 60 + 4);
    expect(parseSlurmTimeLeft('02:03:04')).toBe(2 * 3600 + 3 * 60 + 4);
    expect(parseSlurmTimeLeft('3:04')).toBe(3 * 60 + 4);
    expect(parseSlurmTimeLeft('45')).toBe(45);
    expect(parseSlurmTimeLeft('2-05')).toBe(2 * 86_400 + 5 * 3600);
    expect(parseSlurmTimeLeft('2-05:30')).toBe(2 * 86_400 + 5 * 3600 + 30 * 60);
    expect(parseSlurmTimeLeft('0:00')).toBe(0);
    for (const word of ['UNLIMITED', 'NOT_SET', 'INVALID', '', 'soon'])
      expect(parseSlurmTimeLeft(word)).toBeUndefined();
  });

  it('takes the node’s cores, memory and free disk, bounded by its cgroup', async () => {
    const node = probe({
      cpus: 16,
      files: { '/sys/fs/cgroup/cpu.max': '400000 100000\n', '/sys/fs/cgroup/memory.max': `${4 * gib}\n` },
    });
    expect(await discoverResources('/work', {}, node)).toEqual({ cores: 4, memoryMb: 4096, diskMb: 51_200 });
    const unbounded = probe({
      files: { '/sys/fs/cgroup/cpu.max': 'max 100000', '/sys/fs/cgroup/memory.max': 'max' },
    });
    expect(await discoverResources('/work', {}, unbounded)).toMatchObject({ cores: 8, memoryMb: 16_384 });
  });

  it('takes what SLURM gives the job, and its reference and time left', async () => {
    const node = probe({
      env: {
        SLURM_JOB_ID: '4242',
        SLURM_CLUSTER_NAME: 'hpc',
        SLURM_CPUS_ON_NODE: '12',
        SLURM_MEM_PER_NODE: '24000',
      },
      squeue: ['01:00:00\n'],
    });
    expect(await discoverResources('/work', {}, node)).toEqual({
      cores: 12,
      memoryMb: 24_000,
      diskMb: 51_200,
      wallClockSeconds: 3600,
      wallClockFrom: 'slurm',
      batch: { system: 'slurm', jobId: '4242' },
      reference: 'slurm://hpc/4242',
    });
    expect(node.runs).toEqual([['squeue', '-h', '-j', '4242', '-o', '%L']]);
  });

  it('takes the reference its computing element set over the batch system’s', async () => {
    const node = probe({ env: { MUON_PILOT_REFERENCE: 'local://host/77', SLURM_JOB_ID: '5' } });
    expect(await discoverResources('/work', {}, node)).toMatchObject({
      batch: { system: 'slurm', jobId: '5' },
      reference: 'local://host/77',
    });
    expect((await discoverResources('/work', {}, probe({}))).reference).toBeUndefined();
  });

  it('lets options and MUON_PILOT_WALLCLOCK_SECONDS win, and names AWS Batch jobs', async () => {
    const node = probe({
      env: {
        AWS_BATCH_JOB_ID: 'abc-123',
        AWS_REGION: 'eu-west-1',
        MUON_PILOT_WALLCLOCK_SECONDS: '7200',
      },
    });
    expect(await discoverResources('/work', { cores: 300, memoryMb: 1000 }, node)).toEqual({
      cores: 300,
      memoryMb: 1000,
      diskMb: 51_200,
      wallClockSeconds: 7200,
      wallClockFrom: 'given',
      batch: { system: 'awsbatch', jobId: 'abc-123' },
      // The reference the AwsBatch CE returned on submission.
      reference: 'awsbatch://eu-west-1/abc-123',
    });
    expect(await discoverResources('/work', { wallClockSeconds: 60 }, node)).toMatchObject({
      wallClockSeconds: 60,
    });
    // Nothing bounds a pilot on a plain node.
    expect((await discoverResources('/work', {}, probe({}))).wallClockSeconds).toBeUndefined();
  });

  it('counts time left down from the start, asking SLURM again now and then', async () => {
    let now = 0;
    const node = probe({ env: { SLURM_JOB_ID: '1' }, squeue: ['10:00', '20:00'] });
    const resources = await discoverResources('/work', {}, node);
    const timeLeft = createTimeLeft(resources, { probe: node, now: () => now, refreshSeconds: 300 });
    now = 100_000;
    expect(await timeLeft()).toBe(500);
    now = 300_000;
    // squeue says 20 minutes now: an administrator extended the job.
    expect(await timeLeft()).toBe(1200);
    expect(node.runs).toHaveLength(2);

    const given = createTimeLeft(
      { cores: 1, memoryMb: 1, diskMb: 1, wallClockSeconds: 60, wallClockFrom: 'given' },
      {
        probe: node,
        now: () => now,
      },
    );
    now += 90_000;
    expect(await given()).toBe(0);
    expect(node.runs).toHaveLength(2);
    expect(await createTimeLeft({ cores: 1, memoryMb: 1, diskMb: 1 })()).toBeUndefined();
  });
});
