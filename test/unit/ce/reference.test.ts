import { describe, expect, it } from 'vitest';
import { pilotReferenceFromEnvironment } from '#shared/ce/index.ts';
import { referenceId } from '#shared/ce/reference.ts';

describe('pilotReferenceFromEnvironment', () => {
  it('takes the reference its CE set first', () => {
    expect(
      pilotReferenceFromEnvironment({
        MUON_PILOT_REFERENCE: 'local://h/12',
        SLURM_JOB_ID: '5',
        SLURM_CLUSTER_NAME: 'c',
      }),
    ).toBe('local://h/12');
  });

  it('derives a Slurm job reference from SLURM_JOB_ID and SLURM_CLUSTER_NAME', () => {
    expect(pilotReferenceFromEnvironment({ SLURM_JOB_ID: '4711', SLURM_CLUSTER_NAME: 'hpc1' })).toBe(
      'slurm://hpc1/4711',
    );
  });

  it('derives an AWS Batch reference from AWS_BATCH_JOB_ID and the region', () => {
    expect(pilotReferenceFromEnvironment({ AWS_BATCH_JOB_ID: 'abc-1', AWS_REGION: 'eu-west-1' })).toBe(
      'awsbatch://eu-west-1/abc-1',
    );
    expect(
      pilotReferenceFromEnvironment({ AWS_BATCH_JOB_ID: 'abc-1', AWS_DEFAULT_REGION: 'us-east-2' }),
    ).toBe('awsbatch://us-east-2/abc-1');
  });

  it('has none for a pilot started by hand', () => {
    expect(pilotReferenceFromEnvironment({ PATH: '/usr/bin', SLURM_JOB_ID: '5' })).toBeUndefined();
  });
});

describe('referenceId', () => {
  it('gives the id of a reference of this scheme and place only', () => {
    expect(referenceId('slurm://hpc1/42', 'slurm', 'hpc1')).toBe('42');
    expect(referenceId('slurm://hpc2/42', 'slurm', 'hpc1')).toBeUndefined();
    expect(referenceId('local://hpc1/42', 'slurm', 'hpc1')).toBeUndefined();
    expect(referenceId('slurm://hpc1/', 'slurm', 'hpc1')).toBeUndefined();
    expect(referenceId('slurm://hpc1/4/2', 'slurm', 'hpc1')).toBeUndefined();
  });
});
