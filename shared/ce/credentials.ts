/**
 * A pilot's credentials and how a launcher hands them over (docs/pilots.md, "Credentials: how each
 * pilot gets them"). A payload can read its pilot's argv and initial environment
 * (`/proc/$PPID/cmdline`, `/proc/$PPID/environ`), so credentials never travel there: the launcher
 * (a computing element, `muon site-director`) writes them to a one-shot file, 0600 in a 0700
 * directory it owns, and passes `--credentials-file <path>`. The pilot reads it once, keeps it in
 * memory and deletes it (pilot/credentials.ts).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { lstat, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '#shared/errors.ts';

const tokenCredentialsSchema = z.strictObject({ token: z.string().min(1) });
const clientCredentialsSchema = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** The token endpoint; without it, found from the issuer's OpenID Connect discovery document. */
  tokenUrl: z.url().optional(),
  issuer: z.url().optional(),
  /** Space-separated scopes to ask for; the provider's defaults when absent. */
  scope: z.string().min(1).optional(),
});

/** An OAuth2 client a pilot gets its tokens with (pilot/token.ts). */
export type ClientCredentials = z.infer<typeof clientCredentialsSchema>;

/** A pilot's credentials: a bearer token of a GenericPilot group, or an OAuth2 client to get them. */
export type PilotCredentials = z.infer<typeof tokenCredentialsSchema> | ClientCredentials;

/** The pilot option that names a credentials file. */
export const credentialsFileOption = '--credentials-file';

/**
 * `value` (parsed JSON) as credentials; `source` names where it came from in the error, which also
 * names the field: `/x/credentials.json: clientSecret: Invalid input: expected string, received undefined`.
 */
export function parsePilotCredentials(value: unknown, source: string): PilotCredentials {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(
      `${source}: pilot credentials must be a JSON object, {"token": ...} or {"clientId": ..., "clientSecret": ...}.`,
    );
  }
  if (!('token' in value) && !('clientId' in value)) {
    throw new ConfigurationError(
      `${source}: pilot credentials need "token", or "clientId" and "clientSecret"; found ${Object.keys(value).join(', ') || 'nothing'}.`,
    );
  }
  const schema = 'token' in value ? tokenCredentialsSchema : clientCredentialsSchema;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length
    ? issue.path.join('.')
    : issue && 'keys' in issue
      ? String(issue.keys)
      : '';
  throw new ConfigurationError(`${source}: ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid'}`);
}

/**
 * Variables that carry a pilot's credentials when a person starts one by hand. A launcher never
 * passes them on (`withoutCredentials`), and a pilot given a credentials file removes them.
 */
export const credentialVariables = [
  'MUON_TOKEN',
  'MUON_CLIENT_ID',
  'MUON_CLIENT_SECRET',
  'MUON_PILOT_TOKEN',
] as const;

/**
 * The launcher's own AWS credentials (`muon site-director` runs with them): a pilot needs none,
 * and its payloads, of its uid, could read them in its environment.
 */
export const launcherCredentialVariables = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

/**
 * `env` without the credential variables, the pilots' and the launcher's: what a launcher's pilots
 * and batch jobs may inherit.
 */
export function withoutCredentials(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const copy = { ...env };
  for (const name of [...credentialVariables, ...launcherCredentialVariables]) delete copy[name];
  return copy;
}

/** A spec's environment must hold no credential: they go through `PilotSpec.credentials`. */
export function refuseCredentialVariables(env: Readonly<Record<string, string>>, label: string): void {
  const found = credentialVariables.filter((name) => name in env);
  if (found.length > 0) {
    throw new ConfigurationError(
      `${label}: ${found.join(', ')} may not be in a pilot's environment (payloads can read it): give credentials as PilotSpec.credentials.`,
    );
  }
}

/**
 * `dir`, made 0700 if it is new, refused if anyone else may enter it or it is not the launcher's.
 * A directory the launcher made before with another mode is set to 0700.
 */
function privateDirectory(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    throw new ConfigurationError(
      `${dir} belongs to uid ${stat.uid}, not to this process (${uid}): it cannot hold pilot credentials.`,
    );
  }
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}

/**
 * Writes `credentials` to a new file `<dir>/<uuid>.json`, 0600, in `dir` made private
 * (`privateDirectory`). `wx` refuses a file that already exists, so nothing planted there is
 * reused. Returns its path; the pilot deletes it once read.
 */
export const writeCredentialsFile = (dir: string, credentials: PilotCredentials): Promise<string> =>
  writeCredentialsFileIn(privateDirectory(dir), credentials);

/** A launch that gets the pilot's credentials file, if it has credentials. */
export type CredentialsLaunch = <T>(launch: (file: string | undefined) => Promise<T>) => Promise<T>;

/**
 * How a launcher hands the pilots of one submission their credentials: `spec.env` is refused if it
 * holds a credential variable (`label` names the launcher); each launch is given a credentials file
 * of its own in `dir` (made private once), which is removed if the launch fails.
 */
export function credentialsHandOver(
  dir: string,
  spec: { readonly env?: Readonly<Record<string, string>>; readonly credentials?: PilotCredentials },
  label: string,
): CredentialsLaunch {
  refuseCredentialVariables(spec.env ?? {}, label);
  const { credentials } = spec;
  let prepared = false;
  return async (launch) => {
    if (!credentials) return launch(undefined);
    if (!prepared) privateDirectory(dir);
    prepared = true;
    const file = await writeCredentialsFileIn(dir, credentials);
    try {
      return await launch(file);
    } catch (error) {
      await removeCredentialsFile(file);
      throw error;
    }
  };
}

async function writeCredentialsFileIn(dir: string, credentials: PilotCredentials): Promise<string> {
  const path = join(dir, `${randomUUID()}.json`);
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(credentials)}\n`);
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return path;
}

/** Removes a credentials file the pilot will not read (its submission failed). */
const removeCredentialsFile = (path: string): Promise<void> => unlink(path).catch(() => undefined);

/**
 * Removes the credentials files in `dir` written more than `maxAgeMs` ago: those of pilots that
 * never started to read them (cancelled while pending). Returns how many.
 */
export async function removeCredentialsFilesOlderThan(dir: string, maxAgeMs: number): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names.filter((entry) => entry.endsWith('.json'))) {
    const path = join(dir, name);
    const stats = await lstat(path).catch(() => undefined);
    if (stats?.isFile() && Date.now() - stats.mtimeMs > maxAgeMs) {
      await removeCredentialsFile(path);
      removed += 1;
    }
  }
  return removed;
}
