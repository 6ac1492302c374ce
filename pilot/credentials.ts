/**
 * How a pilot gets its credentials at start (docs/pilots.md, "Credentials: how each pilot gets
 * them"). A payload runs as the pilot's uid and can read the pilot's argv and initial environment
 * (`/proc/$PPID/cmdline`, `/proc/$PPID/environ`), so a launcher hands them over in a one-shot file
 * (`--credentials-file`) or on standard input (`--credentials-stdin`). The pilot reads them once,
 * keeps them in memory, deletes the file and drops the credential variables from its own
 * environment. `--token`, `MUON_TOKEN` and `MUON_CLIENT_*` still work for a person starting a pilot
 * by hand, with a warning.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { completeClientCredentials, type PilotToken } from '#pilot/token.ts';
import { credentialVariables, type PilotCredentials, parsePilotCredentials } from '#shared/ce/credentials.ts';
import { ConfigurationError } from '#shared/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Credentials text (JSON) as credentials; `source` names the file or stream in errors. */
export function parseCredentialsText(text: string, source: string): PilotCredentials {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(
      `${source}: the pilot credentials are not JSON (${(error as Error).message}).`,
      {
        cause: error,
      },
    );
  }
  return parsePilotCredentials(value, source);
}

/**
 * Reads the credentials file at `path` and deletes it. Refused, and left in place: a symbolic link,
 * anything but a regular file, a file not owned by this process's uid, and one its group or others
 * may use (mode & 0o077), which a launcher writes 0600. A file read is deleted whatever it holds:
 * a file left behind could be read by the pilot's payloads. With `keep`, it stays: a host's own
 * credentials file (`muon site-director --pilot-credentials`), not a hand-over.
 */
export async function readCredentialsFile(
  path: string,
  options: { readonly uid?: number; readonly keep?: boolean } = {},
): Promise<PilotCredentials> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ELOOP'
        ? 'it is a symbolic link; give the file itself'
        : (error as Error).message;
    throw new ConfigurationError(`Cannot open the credentials file ${path}: ${reason}`, { cause: error });
  }
  let text: string;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new ConfigurationError(`The credentials file ${path} is not a regular file.`);
    const uid = options.uid ?? process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new ConfigurationError(
        `The credentials file ${path} belongs to uid ${stat.uid}, not to this pilot (uid ${uid}): refused.`,
      );
    }
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw new ConfigurationError(
        `The credentials file ${path} is open to its group or others (mode ${mode}): refused; write it with mode 0600.`,
      );
    }
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  if (options.keep) return parseCredentialsText(text, path);
  try {
    await unlink(path);
  } catch (error) {
    throw new ConfigurationError(
      `The credentials file ${path} could not be deleted after reading (${(error as Error).message}): the pilot's payloads could read it.`,
      { cause: error },
    );
  }
  return parseCredentialsText(text, path);
}

/** Reads the credentials from `stream` (standard input) to its end. */
export async function readCredentialsStream(stream: NodeJS.ReadableStream): Promise<PilotCredentials> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer | string));
  return parseCredentialsText(Buffer.concat(chunks).toString('utf8'), 'standard input');
}

/** Drops the credential variables from `env` (by default this process's own environment). */
export function removeCredentialVariables(env: Record<string, string | undefined> = process.env): void {
  for (const name of credentialVariables) delete env[name];
}

/**
 * What the pilot authenticates with: the token, or the client completed from the environment
 * (`MUON_TOKEN_URL`, `MUON_AUTH_ISSUER`, `MUON_TOKEN_SCOPE`) when it names no endpoint or issuer.
 */
export function pilotTokenOf(credentials: PilotCredentials, env: Env, source: string): PilotToken {
  if ('token' in credentials) return credentials.token;
  return completeClientCredentials(credentials, env, {
    placeholder: `${source}: clientId is still the stack's placeholder`,
    where: `${source}: with clientId, give tokenUrl or issuer, or`,
  });
}

/** The one-line warning for credentials a payload can read; `where` says where they are. */
export const exposedCredentialsWarning = (where: string): string =>
  `muon pilot: warning: credentials from ${where} can be read by the pilot's payloads (/proc/<pid>/${where === '--token' ? 'cmdline' : 'environ'}); use --credentials-file.`;
