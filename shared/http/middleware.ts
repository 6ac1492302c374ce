/**
 * The middlewares of the HTTP stack. `httpErrors` is the one place where errors become responses:
 * a MuonError shows its message (`{"detail": ...}`, as DiracX answers); anything else is a 500
 * that leaks nothing.
 */
import type { MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { MuonError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

type HttpMiddleware = MiddlewareObj<
  HttpEvent,
  HttpResponse,
  Error,
  Context,
  { logger?: Logger; startedAt?: number }
>;

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

/** Attaches a logger carrying the request id and route, and logs one line per request. */
export function requestLogging(logger: Logger): HttpMiddleware {
  return {
    before: (request) => {
      const { requestId } = request.event.requestContext;
      request.internal.logger = logger.child({ requestId, route: request.event.routeKey });
      request.internal.startedAt = performance.now();
    },
    after: (request) => {
      const log = request.internal.logger ?? logger;
      const ms = performance.now() - (request.internal.startedAt ?? 0);
      log.info('request', { statusCode: request.response?.statusCode, ms: Math.round(ms * 10) / 10 });
      const requestId = request.event.requestContext.requestId;
      if (request.response) {
        request.response.headers = { ...request.response.headers, 'x-request-id': requestId };
      }
    },
  };
}

export function httpErrors(fallback: Logger): HttpMiddleware {
  return {
    onError: (request) => {
      const error = request.error;
      const log = request.internal.logger ?? fallback;
      const requestId = request.event.requestContext?.requestId ?? 'unknown';
      const headers = { 'x-request-id': requestId };
      if (error instanceof MuonError && error.statusCode < 500) {
        log.info('request refused', {
          statusCode: error.statusCode,
          code: error.code,
          reason: error.message,
        });
        const detail = error.detail === undefined ? error.message : error.detail;
        const extra: Record<string, string> =
          error.statusCode === 401 ? { 'www-authenticate': 'Bearer' } : {};
        request.response = jsonResponse(error.statusCode, { detail }, { ...headers, ...extra });
        return;
      }
      log.error('request failed', { error });
      request.response = jsonResponse(
        500,
        { detail: `Internal server error (request ${requestId}).` },
        headers,
      );
    },
  };
}
