import { describe, expect, it } from 'vitest';
import { batchError, batchJobName, cancelReason, pilotStateOfBatch } from '#shared/ce/aws-batch.ts';
import { ComputingElementError, ComputingElementUnavailableError } from '#shared/ce/index.ts';
import {
  batchScript,
  controllerUnavailable,
  parseClusterName,
  parseSbatch,
  parseSqueue,
  pilotStateOfSlurm,
} from '#shared/ce/slurm-commands.ts';

describe('Slurm job states as pilot states', () => {
  it.each([
    ['PENDING', 'Waiting'],
    ['CONFIGURING', 'Waiting'],
    ['REQUEUED', 'Waiting'],
    ['SUSPENDED', 'Waiting'],
    ['RUNNING', 'Running'],
    ['COMPLETING', 'Running'],
    ['COMPLETED', 'Done'],
    ['FAILED', 'Failed'],
    ['TIMEOUT', 'Failed'],
    ['NODE_FAIL', 'Failed'],
    ['OUT_OF_MEMORY', 'Failed'],
    ['BOOT_FAIL', 'Failed'],
    ['CANCELLED', 'Aborted'],
    ['CANCELLED+', 'Aborted'],
    ['CANCELLED by 0', 'Aborted'],
    ['PREEMPTED', 'Aborted'],
    ['SOMETHING_NEW', 'Unknown'],
    ['', 'Unknown'],
  ])('%s → %s', (state, pilotState) => {
    expect(pilotStateOfSlurm(state)).toBe(pilotState);
  });
});

describe('reading the Slurm commands', () => {
  it('reads squeue lines as job id and state', () => {
    expect([...parseSqueue('12 RUNNING\n13 PENDING\n\n  14 COMPLETED  \n')]).toEqual([
      ['12', 'RUNNING'],
      ['13', 'PENDING'],
      ['14', 'COMPLETED'],
    ]);
  });

  it('reads the job id that sbatch --parsable prints, with or without a cluster', () => {
    expect(parseSbatch('42\n')).toBe('42');
    expect(parseSbatch('42;cluster1\n')).toBe('42');
    expect(parseSbatch('sbatch: error\n')).toBeUndefined();
  });

  it('reads the cluster name of scontrol show config', () => {
    expect(parseClusterName('AuthType = auth/munge\nClusterName             = hpc1\nMinJobAge = 300\n')).toBe(
      'hpc1',
    );
    expect(parseClusterName('AuthType = auth/munge\n')).toBeUndefined();
  });

  it.each([
    [
      'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)',
      true,
    ],
    ['slurm_load_jobs error: Unable to contact slurm controller (connect failure)', true],
    ['slurm_load_jobs error: Socket timed out on send/recv operation', true],
    ['sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying', true],
    ['sbatch: error: Batch job submission failed: Invalid partition name specified', false],
  ])('"%s" means the controller is away: %s', (stderr, away) => {
    expect(controllerUnavailable(stderr)).toBe(away);
  });

  it('writes a batch script that sets the reference and the environment, quoted, then execs the pilot', () => {
    const script = batchScript('hpc1', { GREETING: "a'b $c" }, [
      'muon',
      'pilot',
      '--site',
      'X Y',
      '--credentials-file',
      '/shared/credentials/1.json',
    ]);
    expect(script.split('\n')).toEqual([
      '#!/bin/sh',
      '# A muon pilot, submitted by the site director.',
      'umask 077',
      `MUON_PILOT_REFERENCE='slurm://hpc1/'"$SLURM_JOB_ID"; export MUON_PILOT_REFERENCE`,
      `GREETING='a'\\''b $c'; export GREETING`,
      `exec 'muon' 'pilot' '--site' 'X Y' '--credentials-file' '/shared/credentials/1.json'`,
      '',
    ]);
  });

  it('refuses an environment variable name the shell cannot take', () => {
    expect(() => batchScript('hpc1', { 'BAD-NAME': 'x' }, ['muon'])).toThrow(ComputingElementError);
  });
});

describe('AWS Batch job statuses as pilot statuses', () => {
  it.each([
    ['SUBMITTED', undefined, 'Waiting'],
    ['PENDING', undefined, 'Waiting'],
    ['RUNNABLE', undefined, 'Waiting'],
    ['STARTING', undefined, 'Running'],
    ['RUNNING', undefined, 'Running'],
    ['SUCCEEDED', undefined, 'Done'],
    ['FAILED', 'Essential container in task exited', 'Failed'],
    ['FAILED', cancelReason, 'Aborted'],
    [undefined, undefined, 'Unknown'],
  ])('%s (%s) → %s', (status, reason, pilotState) => {
    expect(pilotStateOfBatch(status, reason)).toBe(pilotState);
  });

  it('names jobs with the characters Batch allows, at most 128', () => {
    expect(batchJobName('LCG.CERN.ch', 'ce-1')).toBe('muon-pilot-LCG_CERN_ch-ce-1');
    expect(batchJobName('S'.repeat(200), 'c')).toHaveLength(128);
  });

  const sdkError = (name: string, status?: number) =>
    Object.assign(new Error('boom'), {
      name,
      $metadata: status === undefined ? {} : { httpStatusCode: status },
    });

  it.each([
    ['ThrottlingException', 429, true],
    ['TooManyRequestsException', 400, true],
    ['ServerException', 500, true],
    ['TimeoutError', undefined, true],
    ['ClientException', 400, false],
    ['AccessDeniedException', 403, false],
  ])('%s (HTTP %s) is unavailable: %s', (name, status, unavailable) => {
    const error = batchError('AwsBatch CE S/c', 'SubmitJob', sdkError(name, status));
    expect(error).toBeInstanceOf(ComputingElementError);
    expect(error instanceof ComputingElementUnavailableError).toBe(unavailable);
    expect(error.message).toContain(`${name}: boom`);
    expect(error.code).toBe(unavailable ? 'ce.unavailable' : 'ce.failed');
  });
});
