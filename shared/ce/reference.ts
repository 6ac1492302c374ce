/**
 * Pilot references: `<scheme>://<place>/<id>`, where the place is the host (Local), the Slurm
 * cluster or the AWS region, and the id the batch system's (pid, job id, Batch job id).
 */

type Env = Readonly<Record<string, string | undefined>>;

export const referenceEnvironmentName = 'MUON_PILOT_REFERENCE';

export const schemes = { Local: 'local', Slurm: 'slurm', AwsBatch: 'awsbatch' } as const;
type Scheme = (typeof schemes)[keyof typeof schemes];

export const pilotReference = (scheme: Scheme, place: string, id: string): string =>
  `${scheme}://${place}/${id}`;

/** The id of a reference made by `pilotReference(scheme, place, ...)`, or undefined for any other. */
export function referenceId(reference: string, scheme: Scheme, place: string): string | undefined {
  const prefix = `${scheme}://${place}/`;
  if (!reference.startsWith(prefix)) return undefined;
  const id = reference.slice(prefix.length);
  return id.length > 0 && !id.includes('/') ? id : undefined;
}

/**
 * The reference of the pilot running in this environment, as its CE knows it: the one the CE set,
 * else the one derived from the batch system's variables (a Slurm or an AWS Batch job), else
 * undefined (a pilot started by hand, which registers under a reference muon makes up).
 */
export function pilotReferenceFromEnvironment(env: Env): string | undefined {
  const given = env[referenceEnvironmentName];
  if (given) return given;
  if (env.SLURM_JOB_ID && env.SLURM_CLUSTER_NAME) {
    return pilotReference(schemes.Slurm, env.SLURM_CLUSTER_NAME, env.SLURM_JOB_ID);
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (env.AWS_BATCH_JOB_ID && region) return pilotReference(schemes.AwsBatch, region, env.AWS_BATCH_JOB_ID);
  return undefined;
}
