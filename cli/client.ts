/**
 * How the CLI reaches the API: the URL and token come from flags, then the environment
 * (MUON_API_URL, MUON_TOKEN), then `$MUON_HOME/local.json` written by `muon local`.
 */

import { CliError } from '#cli/errors.ts';
import { readLocalFile, resolveHome } from '#local/home.ts';

export type Role = 'user' | 'admin' | 'pilot';

export interface ClientOptions {
  apiUrl?: string;
  token?: string;
  /** Which development token from local.json to use. */
  as?: Role;
}

export interface ApiClient {
  readonly apiUrl: string;
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export function resolveClient(options: ClientOptions, env = process.env): ApiClient {
  const local = readLocalFile(resolveHome(env));
  const apiUrl = options.apiUrl ?? env.MUON_API_URL ?? local?.apiUrl;
  if (!apiUrl) {
    throw new CliError(
      'No API to talk to: pass --api-url, set MUON_API_URL, or start the local runtime with `muon local`.',
    );
  }
  const token = options.token ?? env.MUON_TOKEN ?? local?.tokens[options.as ?? 'user'];
  return {
    apiUrl,
    request: async <T>(method: string, path: string, body?: unknown) => {
      let response: Response;
      try {
        response = await fetch(new URL(path, apiUrl), {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw new CliError(`Cannot reach ${apiUrl}: ${(error as Error).cause ?? (error as Error).message}`);
      }
      const text = await response.text();
      const parsed = text.length > 0 ? safeJson(text) : undefined;
      if (!response.ok && response.status !== 206) {
        throw new CliError(`${method} ${path} failed (${response.status}): ${describeError(parsed, text)}`);
      }
      return { status: response.status, headers: response.headers, body: parsed as T };
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** DiracX-style `{"detail": ...}` or API Gateway's `{"message": ...}`. */
function describeError(parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object') {
    const { detail, message } = parsed as { detail?: unknown; message?: unknown };
    const value = detail ?? message;
    if (typeof value === 'string') return value;
    if (value !== undefined) return JSON.stringify(value);
  }
  return text || 'no details';
}
