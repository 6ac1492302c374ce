/**
 * The `settings` of each type of computing element, validated when the configuration is loaded
 * (shared/config/schema.ts puts them under `sites.<site>.computingElements.<ce>.settings`).
 */
import { z } from 'zod';

/** How `muon` is started where the pilots run; the pilot's arguments follow. */
const command = z.array(z.string().min(1)).min(1);
const path = z.string().min(1);

export const localSettingsSchema = z
  .object({
    /** Pilot directories (log, exit code); default `$MUON_HOME/pilots`. */
    workDir: path.optional(),
    /** Default: this Node.js running this checkout's `bin/muon.mjs`. */
    command: command.optional(),
  })
  .strict();

export const slurmSettingsSchema = z
  .object({
    partition: z.string().min(1).optional(),
    account: z.string().min(1).optional(),
    /** `sbatch --time` in minutes; default the partition's limit. */
    timeLimitMinutes: z.number().int().positive().optional(),
    /** More `sbatch` options, each one argument: `['--qos=long', '--mem=4G']`. */
    sbatchOptions: z
      .array(z.string().regex(/^-/, 'each option starts with "-", e.g. --qos=long'))
      .default([]),
    /** Batch scripts and pilot logs; on a file system the submitting host can write. */
    workDir: path.optional(),
    command: command.default(['muon']),
    /** The cluster in references; default Slurm's ClusterName (`scontrol show config`). */
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'use letters, digits, "_", "." and "-" only')
      .optional(),
    /** Push mode: `muon pilot --push slurm` on an edge node (docs/push-mode.md). */
    push: z
      .object({
        /** Jobs in flight at once (queued in Slurm or running); default nodes x coresPerNode. */
        maxJobs: z.number().int().positive().optional(),
        /** Cores of one compute node; default the CE's `processors`. */
        coresPerNode: z.number().int().positive().optional(),
        /** Compute nodes the pilot fills. */
        nodes: z.number().int().positive().default(1),
        /** Job directories: a file system the edge node and the compute nodes share. */
        workDir: path.optional(),
        /** Run each payload in a network namespace of its own, without network (`unshare --net`). */
        isolateNetwork: z.boolean().default(true),
        /** Seconds between two `squeue` calls (one for every payload in Slurm). */
        pollSeconds: z.number().positive().default(5),
      })
      .strict()
      .optional(),
  })
  .strict();

export const awsBatchSettingsSchema = z
  .object({
    /** Name or ARN; default `$MUON_PILOT_JOB_QUEUE`, which the stack sets. */
    jobQueue: z.string().min(1).optional(),
    /** Name, `name:revision` or ARN; default `$MUON_PILOT_JOB_DEFINITION`, which the stack sets. */
    jobDefinition: z.string().min(1).optional(),
    /** Default the region of the function (`$AWS_REGION`). */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. eu-west-1')
      .optional(),
  })
  .strict();

export type LocalSettings = z.infer<typeof localSettingsSchema>;
export type SlurmSettings = z.infer<typeof slurmSettingsSchema>;
export type AwsBatchSettings = z.infer<typeof awsBatchSettingsSchema>;
