/**
 * The HTTP API of the embedded runtime: an emulation of API Gateway v2 in front of the same handler
 * modules the cloud runs. It matches route keys, runs the same Lambda authorizer as the cloud
 * (functions/authorizer.ts) before it reads a request's body, and hands each function the
 * authorizer's context as API Gateway does. A request without a token, or whose token the
 * authorizer refused, is answered 401 here without its body being read.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { invoke, type LocalFunction } from '#local/invoke.ts';
import { readBody } from '#local/request-body.ts';
import type { WebHandler } from '#local/web.ts';
import { bearerToken, rejectedContextKey } from '#shared/auth/verifier.ts';
import type { Logger } from '#shared/log.ts';
import { authorizerFunction } from '#shared/resources.ts';

/** Lambda's limit on a synchronous request payload, which binds before API Gateway's 10 MB. */
const maxPayloadBytes = 6 * 1024 * 1024;

interface CompiledRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly parameters: readonly string[];
  readonly staticSegments: number;
  readonly public: boolean;
  readonly fn: LocalFunction;
}

export interface ApiGateway {
  readonly url: string;
  /** Stops accepting requests and waits for those in flight. */
  close(): Promise<void>;
}

export async function startApiGateway(options: {
  functions: readonly LocalFunction[];
  logger: Logger;
  port: number;
  /** The web monitor, answering the paths outside /api/ (local/web.ts). */
  web?: WebHandler;
}): Promise<ApiGateway> {
  const routes = compileRoutes(options.functions);
  const authorizerName = authorizerFunction(
    Object.fromEntries(options.functions.map((fn) => [fn.name, fn.definition])),
  );
  const authorizer = options.functions.find((fn) => fn.name === authorizerName) as LocalFunction;
  const inFlight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const handling = handle(routes, { ...options, authorizer }, req, res).catch((error) => {
      options.logger.error('api gateway failure', { error });
      if (!res.headersSent) send(res, 500, { message: 'Internal Server Error' });
    });
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      server.closeAllConnections();
      await closed;
    },
  };
}

export function compileRoutes(functions: readonly LocalFunction[]): CompiledRoute[] {
  const compiled: CompiledRoute[] = [];
  for (const fn of functions) {
    for (const routeKey of fn.definition.routes) {
      const [method, path] = routeKey.split(' ') as [string, string];
      const parameters: string[] = [];
      let staticSegments = 0;
      const source = path
        .split('/')
        .map((segment) => {
          const match = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
          if (!match) {
            staticSegments += 1;
            return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          }
          parameters.push(match[1] as string);
          return match[2] ? '(.+)' : '([^/]+)';
        })
        .join('/');
      compiled.push({
        routeKey,
        method,
        pattern: new RegExp(`^${source}$`),
        parameters,
        staticSegments,
        public: fn.definition.publicRoutes?.includes(routeKey) ?? false,
        fn,
      });
    }
  }
  // API Gateway prefers the most specific route: more literal segments first.
  return compiled.sort((a, b) => b.staticSegments - a.staticSegments);
}

async function handle(
  routes: readonly CompiledRoute[],
  options: { authorizer: LocalFunction; logger: Logger; web?: WebHandler },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return send(res, 400, { detail: `The path ${url.pathname} is not valid percent-encoding.` });
  }
  if (options.web && !path.startsWith('/api/') && (await options.web(req, res, path))) return;
  const candidates = routes.filter((r) => r.pattern.test(path));
  const found = candidates.find((r) => r.method === method || r.method === 'ANY');
  if (!found) {
    const detail =
      candidates.length > 0
        ? `Method ${method} is not allowed on ${path}.`
        : `No route for ${method} ${path}.`;
    return send(res, candidates.length > 0 ? 405 : 404, { detail });
  }
  let claims: Record<string, string> | undefined;
  if (!found.public) {
    const header = req.headers.authorization;
    if (!bearerToken(header)) {
      req.resume();
      return send(res, 401, { detail: 'A bearer token is required (Authorization: Bearer <token>).' }, true);
    }
    const authorized = (await invoke(options.authorizer, authorizerEvent(req, url, found.routeKey))) as {
      context: Record<string, string>;
    };
    const rejected = authorized.context[rejectedContextKey];
    if (rejected !== undefined) {
      req.resume();
      return send(res, 401, { detail: rejected }, true);
    }
    claims = authorized.context;
  }
  const body = await readBody(req, maxPayloadBytes);
  if (body === undefined)
    return send(res, 413, { detail: `The request body exceeds ${maxPayloadBytes} bytes.` });

  const match = found.pattern.exec(path) as RegExpExecArray;
  const pathParameters = Object.fromEntries(
    found.parameters.map((name, i) => [name, match[i + 1] as string]),
  );
  const event = buildEvent(req, url, found.routeKey, pathParameters, body, claims);
  try {
    const result = (await invoke(
      found.fn,
      event,
      event.requestContext.requestId,
    )) as APIGatewayProxyStructuredResultV2;
    const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
    res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
    res.end(payload);
  } catch (error) {
    options.logger.error('function failed', { function: found.fn.name, error });
    send(res, 500, { message: 'Internal Server Error' });
  }
}

function buildEvent(
  req: IncomingMessage,
  url: URL,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
  claims: Record<string, string> | undefined,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const textual = body.length === 0 || /json|text|yaml|xml|x-www-form-urlencoded/.test(contentType);
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !textual,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      // API Gateway hands a Lambda authorizer's context to the function as `authorizer.lambda`.
      authorizer: { principalId: '', integrationLatency: 0, lambda: claims ?? {} } as never,
      domainName: url.host,
      domainPrefix: '127',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: crypto.randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}

/** What API Gateway sends a REQUEST authorizer (payload format 2.0): the headers are enough here. */
function authorizerEvent(req: IncomingMessage, url: URL, routeKey: string) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${routeKey.replace(' ', '')}`,
    identitySource: [headers.authorization ?? ''],
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
  };
}

function send(res: ServerResponse, status: number, body: unknown, challenge = false): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(challenge ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(JSON.stringify(body));
}
