/**
 * The embedded runtime's payload-token key: a file in `$MUON_HOME`, created 0600 with 384 random
 * bits on first start (the cloud keeps it in Secrets Manager, shared/auth/payload-key.ts).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { privateFileMode, writePrivateFile } from '#local/home.ts';
import { checkedPayloadKey } from '#shared/auth/payload-key.ts';
import type { PayloadKeySource } from '#shared/auth/payload-token.ts';

export function filePayloadKey(file: string): PayloadKeySource {
  if (existsSync(file)) chmodSync(file, privateFileMode);
  else writePrivateFile(file, randomBytes(48).toString('base64url'));
  const key = checkedPayloadKey(readFileSync(file, 'utf8'), file);
  return async () => key;
}
