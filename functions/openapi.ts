/**
 * `GET /api/openapi.json` and `GET /api/docs`: the API's OpenAPI 3.1 document and a page to read
 * it (DiracX serves both, from FastAPI). Public: the document describes routes, not data, and a
 * client generator or a browser must read it before it has a token (docs/security.md).
 *
 * Not on the shared route stack (shared/http/handler.ts) because that answers JSON only; it uses
 * that stack's logging and error middlewares, so a refusal or a failure reads the same.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { NotFoundError } from '#shared/errors.ts';
import {
  type HttpEvent,
  type HttpResponse,
  httpErrors,
  jsonResponse,
  requestLogging,
} from '#shared/http/middleware.ts';
import { openApiDocument } from '#shared/http/openapi.ts';
import { renderDocsPage } from '#shared/http/openapi-page.ts';
import { routeDocs } from '#shared/http/openapi-routes.ts';
import { version } from '#shared/version.ts';

export function createHandler(deps: Deps) {
  // Built once per execution environment: the routes do not change while it lives.
  const document = openApiDocument(routeDocs, { version });
  const page = renderDocsPage(document);
  const cache = { 'cache-control': 'public, max-age=300' };
  return middy<HttpEvent, HttpResponse, Error, Context>()
    .use(httpErrors(deps.logger))
    .use(requestLogging(deps.logger))
    .handler(async (event) => {
      switch (event.routeKey) {
        case 'GET /api/openapi.json':
          return jsonResponse(200, document, cache);
        case 'GET /api/docs':
          return {
            statusCode: 200,
            headers: { 'content-type': 'text/html; charset=utf-8', ...cache },
            body: page,
          };
        default:
          throw new NotFoundError(`No route for ${event.routeKey}.`, 'route.not_found');
      }
    });
}

export const handler = lambdaEntry(createHandler);
