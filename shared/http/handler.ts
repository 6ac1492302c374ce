/**
 * The HTTP stack every API function uses: request logging, one error handler, body decoding,
 * identity from the authorizer's claims, zod validation, and routing by API Gateway route key.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { identityFromClaims } from '#shared/auth/identity.ts';
import { BadRequestError, NotFoundError, UnauthorizedError, ValidationError } from '#shared/errors.ts';
import {
  type HttpEvent,
  type HttpResponse,
  httpErrors,
  jsonResponse,
  requestLogging,
} from '#shared/http/middleware.ts';
import { isHttpResult, type Route } from '#shared/http/route.ts';
import type { Logger } from '#shared/log.ts';

export type Routes = Readonly<Record<string, Route>>;

export function createHttpHandler(logger: Logger, routes: Routes) {
  return middy<HttpEvent, HttpResponse, Error, Context>()
    .use(httpErrors(logger))
    .use(requestLogging(logger))
    .handler(async (event, context) => dispatch(routes, event, context, logger));
}

async function dispatch(routes: Routes, event: HttpEvent, _context: Context, fallback: Logger) {
  const found = routes[event.routeKey];
  if (!found) throw new NotFoundError(`No route for ${event.routeKey}.`, 'route.not_found');
  const requestLogger = fallback.child({ requestId: event.requestContext.requestId, route: event.routeKey });
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!found.public && !claims) throw new UnauthorizedError();
  const identity = found.public ? undefined : identityFromClaims(claims);
  const body = found.body ? parse(found.body, decodeBody(event), 'body') : undefined;
  const query = found.query ? parse(found.query, event.queryStringParameters ?? {}, 'query') : undefined;
  const result = await found.handle({
    body,
    query,
    pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    headers: lowerCaseKeys(event.headers ?? {}),
    requestId: event.requestContext.requestId,
    logger: identity ? requestLogger.child({ vo: identity.vo, user: identity.username }) : requestLogger,
    identity: identity as never,
  });
  if (isHttpResult(result)) return jsonResponse(result.statusCode, result.body, { ...result.headers });
  return jsonResponse(200, result);
}

function decodeBody(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === '') {
    throw new BadRequestError('The request needs a JSON body.', { code: 'request.body_missing' });
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadRequestError(`The body is not valid JSON: ${(error as Error).message}.`, {
      code: 'request.malformed_json',
    });
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
  throw new ValidationError(`The request ${where} is invalid: ${problems.join('; ')}.`);
}

function lowerCaseKeys(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}
