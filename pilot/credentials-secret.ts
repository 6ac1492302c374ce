/**
 * An AWS Batch pilot's OAuth2 client, read by the pilot itself from the stack's pilot credentials
 * secret, whose ARN the job definition sets as `MUON_PILOT_CREDENTIALS_SECRET_ARN`. The job role
 * may read it (infra/constructs/batch.ts). Batch's own `secrets` would put the client into the
 * container's environment, where every payload could read it in /proc/1/environ; read here, it
 * stays in the pilot's memory. The secret is JSON `{"client_id": ..., "client_secret": ...}`.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { completeClientCredentials } from '#pilot/token.ts';
import type { ClientCredentials } from '#shared/ce/credentials.ts';
import { ConfigurationError } from '#shared/errors.ts';

/** The variable naming the secret (the job definition sets it). */
export const credentialsSecretVariable = 'MUON_PILOT_CREDENTIALS_SECRET_ARN';

const secretSchema = z.object({ client_id: z.string().min(1), client_secret: z.string().min(1) });

/** The region of a secret's ARN (`arn:aws:secretsmanager:<region>:...`), for the client. */
export const regionOfSecret = (arn: string): string | undefined =>
  /^arn:[^:]+:secretsmanager:([^:]+):/.exec(arn)?.[1];

/**
 * The client in the secret `arn`, completed from the environment (`MUON_AUTH_ISSUER`, which the job
 * definition sets, or `MUON_TOKEN_URL`). Refuses the stack's placeholder `client_id` `unset`.
 */
export async function readCredentialsSecret(
  arn: string,
  client: Pick<SecretsManagerClient, 'send'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ClientCredentials> {
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (error) {
    throw new ConfigurationError(
      `Cannot read the pilot credentials secret ${arn} (${credentialsSecretVariable}): ${(error as Error).message}`,
      { cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new ConfigurationError(
      `The pilot credentials secret ${arn} is not JSON {"client_id": "...", "client_secret": "..."}.`,
    );
  }
  const parsed = secretSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigurationError(
      `The pilot credentials secret ${arn}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return completeClientCredentials(
    { clientId: parsed.data.client_id, clientSecret: parsed.data.client_secret },
    env,
    {
      placeholder: `The pilot credentials secret ${arn} still holds the stack's placeholder client_id "unset"`,
      where: 'With the pilot credentials secret,',
    },
  );
}
