/**
 * The tokens `muon login` got, cached per API URL: one file each under
 * `$MUON_CREDENTIALS_DIR` (default `$XDG_CONFIG_HOME/muon/credentials`, else
 * `~/.config/muon/credentials`), the directory 0700 and the files 0600, as DiracX keeps
 * `~/.cache/diracx/credentials.json`. A token near its end is refreshed with the refresh token and
 * written back. Which token a command sends: `--token`, then `MUON_TOKEN`, then this cache, then
 * the local runtime's development token (cli/client.ts).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { refreshLogin } from '#cli/credentials-oidc.ts';
import { CliError } from '#cli/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

export const storedLoginSchema = z.object({
  apiUrl: z.string(),
  issuer: z.string(),
  clientId: z.string(),
  resource: z.string().optional(),
  accessToken: z.string(),
  refreshToken: z.string().optional(),
  /** Milliseconds since the epoch. */
  expiresAt: z.number(),
  username: z.string().optional(),
  group: z.string().optional(),
});
export type StoredLogin = z.infer<typeof storedLoginSchema>;

/** A token with less than this left is refreshed before it is sent. */
const refreshBeforeMs = 60_000;

export function credentialsDir(env: Env = process.env): string {
  if (env.MUON_CREDENTIALS_DIR) return env.MUON_CREDENTIALS_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'muon', 'credentials');
}

/** The API URL without a trailing slash, so `https://x/` and `https://x` share one login. */
export const normalizeApiUrl = (apiUrl: string): string => apiUrl.replace(/\/+$/, '');

export function credentialsFile(apiUrl: string, env: Env = process.env): string {
  const digest = createHash('sha256').update(normalizeApiUrl(apiUrl)).digest('hex').slice(0, 24);
  return join(credentialsDir(env), `${digest}.json`);
}

export function readLogin(apiUrl: string, env: Env = process.env): StoredLogin | undefined {
  const file = credentialsFile(apiUrl, env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // A cache others can read is a leaked token: refuse it rather than send it.
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CliError(
      `${file} is open to its group or others (mode ${mode.toString(8)}): run \`muon logout\` and log in again.`,
    );
  }
  const parsed = storedLoginSchema.safeParse(JSON.parse(text));
  return parsed.success && parsed.data.apiUrl === normalizeApiUrl(apiUrl) ? parsed.data : undefined;
}

export function writeLogin(login: StoredLogin, env: Env = process.env): string {
  const dir = credentialsDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = credentialsFile(login.apiUrl, env);
  writeFileSync(file, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Forgets the login for `apiUrl`; whether there was one. */
export function removeLogin(apiUrl: string, env: Env = process.env): boolean {
  const file = credentialsFile(apiUrl, env);
  try {
    statSync(file);
  } catch {
    return false;
  }
  rmSync(file, { force: true });
  return true;
}

/**
 * The cached access token for `apiUrl`, refreshed first when it ends within a minute; undefined
 * when there is no login. A login that can no longer be refreshed is an error saying to log in.
 * For the requests of one command: the cache is read at the first and again only when the token
 * nears its end (and another muon may have refreshed it), not once per request.
 */
export function loginToken(
  apiUrl: string,
  env: Env = process.env,
  now = Date.now,
): () => Promise<string | undefined> {
  let login: Promise<StoredLogin | undefined> | undefined;
  let held: StoredLogin | undefined;
  return async () => {
    if (!login || (held && held.expiresAt - now() <= refreshBeforeMs)) {
      held = undefined;
      login = currentLogin(apiUrl, env, now).then((current) => {
        held = current;
        return current;
      });
    }
    return (await login)?.accessToken;
  };
}

async function currentLogin(apiUrl: string, env: Env, now: () => number): Promise<StoredLogin | undefined> {
  const login = readLogin(apiUrl, env);
  if (!login || login.expiresAt - now() > refreshBeforeMs) return login;
  if (!login.refreshToken) {
    throw new CliError(`Your login to ${login.apiUrl} has expired: run \`muon login\` again.`);
  }
  const refreshed = await refreshLogin(login).catch((error: unknown) => {
    throw new CliError(
      `Your login to ${login.apiUrl} could not be renewed at ${login.issuer} (${(error as Error).message}): run \`muon login\` again.`,
    );
  });
  writeLogin(refreshed, env);
  return refreshed;
}
