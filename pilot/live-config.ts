/**
 * A pilot's configuration from the API (`muon pilot --config api`, MUON_CONFIG=api, which the AWS
 * Batch job definition sets): `GET /api/config` with the pilot's own token, written 0600 into a
 * fresh directory for the pilot to load, so that a Batch pilot runs with the live configuration
 * rather than its image's copy (shared/config/live.ts). DIRAC counterpart: the pilot's download of
 * the Configuration Service's data at start. Hooks named in such a document resolve from that
 * directory, so they must be absolute paths (the image's).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiCallError,
  defaultRetryPolicy,
  fetchOrUnreachable,
  parseBody,
  withRetries,
} from '#pilot/retry.ts';
import { clientCredentialsToken, fixedToken, type PilotToken } from '#pilot/token.ts';
import { formatIssues, validateConfig } from '#shared/config/load.ts';
import { ConfigurationError } from '#shared/errors.ts';

/** The value of `--config` that asks for the live configuration. */
export const liveConfigName = 'api';

export async function downloadLiveConfig(connection: {
  readonly apiUrl: string;
  readonly token: PilotToken;
}): Promise<string> {
  const source =
    typeof connection.token === 'string'
      ? fixedToken(connection.token)
      : clientCredentialsToken(connection.token, { retry: defaultRetryPolicy });
  const url = new URL('/api/config', connection.apiUrl);
  const body = await withRetries(defaultRetryPolicy, 'GET /api/config', undefined, async () => {
    const response = await fetchOrUnreachable('GET /api/config', url, {
      headers: { authorization: `Bearer ${await source.token()}` },
      signal: AbortSignal.timeout(30_000),
    });
    const answer = parseBody(await response.text());
    if (!response.ok) throw ApiCallError.answered('GET /api/config', response.status, answer);
    return answer;
  });
  const result = validateConfig(body);
  if (!result.ok) {
    throw new ConfigurationError(
      `The live configuration from ${url} is invalid:\n${formatIssues(result.issues)}`,
    );
  }
  const file = join(mkdtempSync(join(tmpdir(), 'muon-pilot-config-')), 'muon.json');
  writeFileSync(file, JSON.stringify(result.config), { mode: 0o600 });
  return file;
}
