/**
 * How a function declares its HTTP routes. A route names who may call it and its schemas; the
 * HTTP stack authenticates, admits the caller (shared/http/caller.ts), decodes and validates
 * before `handle` runs, so a route body is business logic only.
 */
import type { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import type { CallerPolicy, PayloadHolding } from '#shared/http/caller.ts';
import type { Logger } from '#shared/log.ts';

export interface HttpRequest<TBody, TQuery> {
  readonly body: TBody;
  readonly query: TQuery;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly logger: Logger;
}

export interface AuthenticatedRequest<TBody, TQuery> extends HttpRequest<TBody, TQuery> {
  readonly identity: Identity;
}

/** What a route returns: a body (200 JSON) or a full response. */
export interface HttpResult {
  readonly statusCode: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export const respond = (
  statusCode: number,
  body?: unknown,
  headers?: Record<string, string>,
): HttpResult => ({
  statusCode,
  body,
  ...(headers ? { headers } : {}),
});

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType<infer T> ? T : undefined;

export interface RouteSpec<
  B extends Schema | undefined,
  Q extends Schema | undefined,
  C extends CallerPolicy,
> {
  /**
   * Who may call: `'public'` (no token: health), or the kinds of caller admitted. A `pilot`
   * caller arrives bound to its pilot record; a `payload` caller's job is live.
   */
  readonly caller: C;
  /**
   * `'route'`: a payload caller's job is not read before the route; the route reads that job for
   * its own work and applies `assertPayloadHolding` (shared/jobs/holding.ts) on what it read.
   */
  readonly payloadHolding?: PayloadHolding;
  readonly body?: B;
  readonly query?: Q;
  readonly handle: (
    request: C extends 'public' ? HttpRequest<Out<B>, Out<Q>> : AuthenticatedRequest<Out<B>, Out<Q>>,
  ) => Promise<HttpResult | unknown> | HttpResult | unknown;
}

export interface Route {
  readonly caller: CallerPolicy;
  readonly payloadHolding?: PayloadHolding;
  readonly body?: Schema;
  readonly query?: Schema;
  readonly handle: (request: AuthenticatedRequest<unknown, unknown>) => Promise<unknown> | unknown;
}

export function route<
  C extends CallerPolicy,
  B extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
>(spec: RouteSpec<B, Q, C>): Route {
  return spec as unknown as Route;
}

export const isHttpResult = (value: unknown): value is HttpResult =>
  typeof value === 'object' &&
  value !== null &&
  'statusCode' in value &&
  typeof (value as { statusCode: unknown }).statusCode === 'number';
