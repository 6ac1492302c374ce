/**
 * Where the payload-token key lives. In the cloud: a Secrets Manager secret that the stack
 * generates (`MUON_PAYLOAD_KEY_SECRET` names it), read once per execution environment. In the
 * embedded runtime: a file in `$MUON_HOME`, created 0600 on first start.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PayloadKeySource } from '#shared/auth/payload-token.ts';
import { ConfigurationError } from '#shared/errors.ts';

/** A key of at least 256 bits, as HS256 needs. */
const minimumKeyBytes = 32;

function checked(text: string, where: string): Uint8Array {
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
      .then((answer) => checked(answer.SecretString ?? '', `secret ${secretId}`))
      .catch((error) => {
        key = undefined;
        throw error;
      });
    return key;
  };
}

/** The key from `file`, created with 256 random bits (0600) when it does not exist. */
export function filePayloadKey(file: string): PayloadKeySource {
  if (!existsSync(file))
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  const key = checked(readFileSync(file, 'utf8'), file);
  return async () => key;
}
