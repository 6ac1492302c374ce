/**
 * Where the payload-token key lives. In the cloud: a Secrets Manager secret that the stack
 * generates (`MUON_PAYLOAD_KEY_SECRET` names it), read once per execution environment. In the
 * embedded runtime: a file in `$MUON_HOME` (local/payload-key.ts).
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PayloadKeySource } from '#shared/auth/payload-token.ts';
import { ConfigurationError } from '#shared/errors.ts';

/** A key of at least 256 bits, as HS256 needs. */
const minimumKeyBytes = 32;

/** The key `text` holds, refused when shorter than HS256 needs. */
export function checkedPayloadKey(text: string, where: string): Uint8Array {
  const key = new TextEncoder().encode(text.trim());
  if (key.length < minimumKeyBytes) {
    throw new ConfigurationError(
      `The payload-token key in ${where} is shorter than ${minimumKeyBytes} bytes.`,
    );
  }
  return key;
}

/** The key from a Secrets Manager secret (its whole SecretString), fetched on first use. */
export function secretsManagerPayloadKey(
  secretId: string,
  client = new SecretsManagerClient({}),
): PayloadKeySource {
  let key: Promise<Uint8Array> | undefined;
  return () => {
    key ??= client
      .send(new GetSecretValueCommand({ SecretId: secretId }))
      .then((answer) => checkedPayloadKey(answer.SecretString ?? '', `secret ${secretId}`))
      .catch((error) => {
        key = undefined;
        throw error;
      });
    return key;
  };
}
