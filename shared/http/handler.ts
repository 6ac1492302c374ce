/**
 * The HTTP stack every API function uses: request logging, route metrics, one error handler,
 * identity from the authorizer's claims, the route's caller policy, body decoding, zod validation,
 * and routing by API Gateway route key. A request is authenticated and admitted before its body is read.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Identity, identityFromClaims, properties } from '#shared/auth/identity.ts';
import { rejectedContextKey } from '#shared/auth/verifier.ts';
import type { Deps } from '#shared/deps.ts';
import {
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '#shared/errors.ts';
import { maxBodyDepth, nestsDeeperThan } from '#shared/http/body-depth.ts';
import { type CallerCheck, createCallerCheck } from '#shared/http/caller.ts';
import { idempotencyKeyProblem } from '#shared/http/idempotency/keys.ts';
import { routeMetrics } from '#shared/http/metrics.ts';
import {
  type HttpEvent,
  type HttpResponse,
  httpErrors,
  jsonResponse,
  requestLogging,
} from '#shared/http/middleware.ts';
import { isHttpResult, type Route } from '#shared/http/route.ts';
import { parseJson } from '#shared/json.ts';
import { createPilotBinding, type PilotBinding } from '#shared/pilots/binding.ts';

export type Routes = Readonly<Record<string, Route>>;

export type HttpDeps = Pick<Deps, 'logger' | 'config' | 'aws' | 'resources' | 'now'>;

/**
 * The handler of a function's routes. `bindPilot` is the function's own binding when it must
 * drop cached pilot records (the pilots function); otherwise the stack makes one.
 */
export function createHttpHandler(
  deps: HttpDeps,
  routes: Routes,
  options: { bindPilot?: PilotBinding } = {},
) {
  const admit = createCallerCheck(deps, options.bindPilot ?? createPilotBinding(deps));
  return middy<HttpEvent, HttpResponse, Error, Context>()
    .use(httpErrors(deps.logger))
    .use(requestLogging(deps.logger))
    .use(routeMetrics())
    .handler(async (event) => dispatch(routes, event, deps, admit));
}

async function dispatch(routes: Routes, event: HttpEvent, deps: HttpDeps, admit: CallerCheck) {
  const fallback = deps.logger;
  const found = routes[event.routeKey];
  if (!found) throw new NotFoundError(`No route for ${event.routeKey}.`, 'route.not_found');
  const requestLogger = fallback.child({ requestId: event.requestContext.requestId, route: event.routeKey });
  const headers = lowerCaseKeys(event.headers ?? {});
  let identity: Identity | undefined;
  if (found.caller !== 'public') {
    const authorizer = event.requestContext.authorizer as AuthorizerContext | undefined;
    const claims = authorizer?.lambda ?? authorizer?.jwt?.claims;
    if (!claims) throw new UnauthorizedError();
    const rejected = claims[rejectedContextKey];
    if (typeof rejected === 'string') throw new UnauthorizedError(rejected, 'auth.invalid_token');
    const served = servedIdentity(identityFromClaims(claims), deps.config);
    identity = await admit(found.caller, served, headers, event.routeKey, found.payloadHolding);
  }
  const keyProblem = idempotencyKeyProblem(headers['idempotency-key']);
  if (keyProblem) throw new ValidationError(keyProblem, { code: 'request.invalid_idempotency_key' });
  const body = found.body ? parse(found.body, decodeBody(event, found.body), 'body') : undefined;
  const query = found.query ? parse(found.query, event.queryStringParameters ?? {}, 'query') : undefined;
  const result = await found.handle({
    body,
    query,
    pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
    headers,
    requestId: event.requestContext.requestId,
    logger: identity ? requestLogger.child({ vo: identity.vo, user: identity.username }) : requestLogger,
    identity: identity as never,
  });
  if (isHttpResult(result)) return jsonResponse(result.statusCode, result.body, { ...result.headers });
  return jsonResponse(200, result);
}

/** The cloud's Lambda authorizer puts the claims in `lambda`; API Gateway's JWT authorizer in `jwt`. */
interface AuthorizerContext {
  readonly lambda?: Record<string, unknown>;
  readonly jwt?: { readonly claims?: Record<string, unknown> };
}

/** A valid token for a VO or group this deployment does not serve is refused. */
function servedIdentity(identity: Identity, config: HttpDeps['config']): Identity {
  const vo = config.virtualOrganizations[identity.vo];
  if (!vo)
    throw new ForbiddenError(`This deployment does not serve the virtual organisation "${identity.vo}".`);
  const group = vo.groups[identity.group];
  if (!group) throw new ForbiddenError(`"${identity.group}" is not a group of ${identity.vo}.`);
  // The configuration's group bounds the token's properties: a token says what its group had when
  // it was issued (days ago for a development token), and a property the configuration has since
  // taken from the group, or never gave it, must not act (DIRAC reads them from its Registry).
  const held = identity.properties.filter((property) => group.properties.includes(property));
  // DIRAC's JobSharing is a property of the group (its Registry entry), which the configuration's
  // `jobSharing` flag holds: the same flag that gives the group one fair-share slot.
  if (group.jobSharing && identity.jobId === undefined && !held.includes(properties.jobSharing)) {
    held.push(properties.jobSharing);
  }
  return { ...identity, properties: held };
}

function decodeBody(event: HttpEvent, schema: z.ZodType): unknown {
  if (event.body === undefined || event.body === '') {
    if (schema.safeParse(undefined).success) return undefined;
    throw new BadRequestError('The request needs a JSON body.', { code: 'request.body_missing' });
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (nestsDeeperThan(text, maxBodyDepth)) {
    throw new ValidationError(
      `The request body nests objects and arrays more than ${maxBodyDepth} levels deep; no request of this API needs that many.`,
      { code: 'request.too_deep' },
    );
  }
  try {
    return parseJson(text);
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
