/**
 * The middlewares of the HTTP stack. `httpErrors` is the one place where errors become responses:
 * a MuonError the caller may see (`shown`: its own errors, and a ServiceUnavailableError's 503)
 * shows its message (`{"detail": ...}`, as DiracX answers); anything else is a 500 that leaks
 * nothing.
 */
import type { MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { MuonError } from '#shared/errors.ts';
import { stringifyJson } from '#shared/json.ts';
import type { Logger } from '#shared/log.ts';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

type HttpMiddleware = MiddlewareObj<HttpEvent, HttpResponse, Error, Context, { startedAt?: number }>;

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: body === undefined ? '' : stringifyJson(body),
});

/** The request id and route that every log line of a request carries. */
const requestFields = (event: HttpEvent) => ({
  requestId: event.requestContext?.requestId ?? 'unknown',
  route: event.routeKey,
});

/** Logs one line per answered request, with its status and duration. */
export function requestLogging(logger: Logger): HttpMiddleware {
  return {
    before: (request) => {
      request.internal.startedAt = performance.now();
    },
    after: (request) => {
      const ms = performance.now() - (request.internal.startedAt ?? 0);
      logger.info('request', {
        ...requestFields(request.event),
        statusCode: request.response?.statusCode,
        ms: Math.round(ms * 10) / 10,
      });
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
      const fields = requestFields(request.event);
      const { requestId } = fields;
      const headers = { 'x-request-id': requestId };
      if (error instanceof MuonError && error.shown) {
        fallback.info('request refused', {
          ...fields,
          statusCode: error.statusCode,
          code: error.code,
          reason: error.message,
        });
        const detail = error.detail === undefined ? error.message : error.detail;
        const extra: Record<string, string> =
          error.statusCode === 401
            ? { 'www-authenticate': 'Bearer' }
            : error.statusCode === 503
              ? { 'retry-after': '1' }
              : {};
        request.response = jsonResponse(error.statusCode, { detail }, { ...headers, ...extra });
        return;
      }
      fallback.error('request failed', { ...fields, error });
      request.response = jsonResponse(
        500,
        { detail: `Internal server error (request ${requestId}).` },
        headers,
      );
    },
  };
}
