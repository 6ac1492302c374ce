/**
 * How the CLI reaches the API: the URL comes from `--api-url`, then MUON_API_URL, then
 * `$MUON_HOME/local.json` written by `muon local`; the token from `--token`, then MUON_TOKEN, then
 * the tokens `muon login` kept for that URL (refreshed when near their end, cli/credentials.ts),
 * then local.json's development token. Every request that changes something carries an
 * `Idempotency-Key` (a new one unless the caller gives its own, as it does when it may send the
 * request again): the API never does a keyed request twice.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { loginToken } from '#cli/credentials.ts';
import { CliError, USAGE } from '#cli/errors.ts';
import { type LocalFile, readLocalFile, resolveHome } from '#local/home.ts';
import { parseJson, stringifyJson } from '#shared/json.ts';

export type Role = 'user' | 'admin' | 'pilot';

export interface ClientOptions {
  apiUrl?: string;
  token?: string;
  /** Which development token from local.json to use. */
  as?: Role;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ApiClient {
  readonly apiUrl: string;
  /** Where the token comes from: `--token`, `MUON_TOKEN`, `muon login`, `local.json` or `none`. */
  readonly tokenSource: string;
  /** Any answer, error or not; only an unreachable API throws. */
  send(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<unknown>>;
  /** A successful answer (2xx), or a CliError carrying the API's `detail`. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

/** `fetch`, with a server that cannot be reached turned into a CliError naming `what`. */
export async function reach(what: string, url: string | URL, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    throw new CliError(`Cannot reach ${what}: ${(error as Error).cause ?? (error as Error).message}`);
  }
}

/** The global `--api-url` and `--token` flags a command was given. */
export function flagOptions(command: Command): ClientOptions {
  const { apiUrl, token } = command.optsWithGlobals<ClientOptions>();
  return { ...(apiUrl ? { apiUrl } : {}), ...(token ? { token } : {}) };
}

/** The API URL from `--api-url`, MUON_API_URL or local.json (read only when needed). */
export function resolveApiUrl(
  options: ClientOptions,
  env = process.env,
  local: () => LocalFile | undefined = () => readLocalFile(resolveHome(env)),
): string {
  const apiUrl = options.apiUrl ?? env.MUON_API_URL ?? local()?.apiUrl;
  if (!apiUrl) {
    throw new CliError(
      'No API to talk to: pass --api-url, set MUON_API_URL, or start the local runtime with `muon local`.',
    );
  }
  // A URL that is not one is said so, naming where it came from, instead of fetch's TypeError.
  if (!isHttpUrl(apiUrl)) {
    const from =
      options.apiUrl !== undefined
        ? '--api-url'
        : env.MUON_API_URL !== undefined
          ? 'MUON_API_URL'
          : 'local.json';
    throw new CliError(
      `${from} "${apiUrl}" is not an http:// or https:// URL, e.g. http://127.0.0.1:8080.`,
      USAGE,
    );
  }
  return apiUrl;
}

function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function resolveClient(options: ClientOptions, env = process.env): ApiClient {
  const local = readLocalFile(resolveHome(env));
  const apiUrl = resolveApiUrl(options, env, () => local);
  const fixed = options.token ?? env.MUON_TOKEN;
  const development = local?.tokens[options.as ?? 'user'];
  // A development token asked for by role (`as`) wins over a login.
  const loginTokenFor = fixed === undefined && options.as === undefined ? loginToken(apiUrl, env) : undefined;
  const initialSource = development ? 'local.json' : 'none';
  let tokenSource = options.token ? '--token' : env.MUON_TOKEN ? 'MUON_TOKEN' : initialSource;
  const tokenFor = async (): Promise<string | undefined> => {
    if (fixed !== undefined) return fixed;
    const cached = await loginTokenFor?.();
    if (cached !== undefined) tokenSource = 'muon login';
    return cached ?? development;
  };

  const send: ApiClient['send'] = async (method, path, body, headers = {}) => {
    const token = await tokenFor();
    const keyed = method === 'GET' || method === 'HEAD' || hasHeader(headers, 'idempotency-key');
    const response = await reach(apiUrl, new URL(path, apiUrl), {
      method,
      headers: {
        ...(keyed ? {} : { 'idempotency-key': randomUUID() }),
        ...headers,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: stringifyJson(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text.length > 0 ? parseBody(text) : undefined,
    };
  };

  return {
    apiUrl,
    get tokenSource() {
      return tokenSource;
    },
    send,
    request: async <T>(method: string, path: string, body?: unknown) => {
      const answer = await send(method, path, body);
      if (answer.status < 200 || answer.status >= 300) {
        throw refusal(method, path, answer, tokenSource);
      }
      return answer as ApiResponse<T>;
    },
  };
}

/** An answer that is not a success, as a CliError; a 401 also says what to do about the token. */
export function refusal(
  method: string,
  path: string,
  answer: { status: number; body: unknown },
  tokenSource: string,
): CliError {
  const refused = `${method} ${path} failed (${answer.status}): ${describeDetail(answer.body)}`;
  return new CliError(answer.status === 401 ? `${refused}\n${tokenHint(tokenSource)}` : refused);
}

/** What to do about a token the API refused (401), by where it came from. */
export function tokenHint(source: string): string {
  switch (source) {
    case '--token':
      return 'The token given with --token was refused: give a valid one.';
    case 'MUON_TOKEN':
      return 'The token in MUON_TOKEN was refused: set a valid one, or unset it to use your `muon login`.';
    case 'muon login':
      return 'Your login was refused: run `muon login` again.';
    case 'local.json':
      return "The local runtime's development token was refused: is MUON_HOME the running runtime's home? `muon local` signs new tokens each time it starts.";
    default:
      return 'No token was sent: run `muon login`, set MUON_TOKEN, or pass --token.';
  }
}

const hasHeader = (headers: Record<string, string>, name: string) =>
  Object.keys(headers).some((key) => key.toLowerCase() === name);

export function parseBody(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return text;
  }
}

/** `{"detail": "..."}`, a CWL error's `{"detail": {"message": ...}}`, API Gateway's `{"message": ...}`. */
export function describeDetail(body: unknown): string {
  if (typeof body === 'string') return body || 'no details';
  if (body && typeof body === 'object') {
    const { detail, message } = body as { detail?: unknown; message?: unknown };
    const value = detail ?? message;
    if (typeof value === 'string') return value;
    if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
      return (value as { message: string }).message;
    }
    if (value !== undefined) return stringifyJson(value);
    return stringifyJson(body);
  }
  return 'no details';
}
