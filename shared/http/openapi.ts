/**
 * The OpenAPI 3.1 document of muon's HTTP API, built from the route documentation
 * (shared/http/openapi-routes.ts) with zod's own JSON Schema output (`z.toJSONSchema`, draft
 * 2020-12, which OpenAPI 3.1 uses as is). DiracX serves FastAPI's document at the same path.
 *
 * zod 4's `toJSONSchema` is used rather than `@asteasolutions/zod-to-openapi`: the schemas need no
 * `.openapi()` extension or registry, and the one thing that library adds (the operation objects)
 * is these ~100 lines, written from the route documentation, which the library could not read.
 */
import { z } from 'zod';
import {
  type AnswerDoc,
  type ErrorDoc,
  errorDescriptions,
  type RouteDoc,
  type RouteDocs,
} from '#shared/http/openapi-contract.ts';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    // A refinement or transform has no JSON Schema form; its base type is still described.
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const errorRef = { $ref: '#/components/schemas/Error' };
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** The refusals every route shares, from what it declares; then its own. */
export function routeErrors(key: string, doc: RouteDoc): ErrorDoc[] {
  const shared: ErrorDoc[] = [];
  if (doc.body) {
    shared.push({ status: 400, when: 'The body is missing or is not JSON.' });
    shared.push({ status: 413, when: 'The body is larger than the API accepts (6 MB).' });
  }
  if (doc.body || doc.query || key.includes('{'))
    shared.push({ status: 422, when: errorDescriptions[422] as string });
  if (doc.caller !== 'public') {
    shared.push({ status: 401, when: errorDescriptions[401] as string });
    shared.push({
      status: 403,
      when: `This kind of caller may not call it (it is for: ${doc.caller.join(', ')}).`,
    });
  }
  shared.push({ status: 500, when: errorDescriptions[500] as string });
  const byStatus = new Map<number, string[]>();
  for (const error of [...shared, ...doc.errors]) {
    byStatus.set(error.status, [...(byStatus.get(error.status) ?? []), error.when]);
  }
  return [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, whens]) => ({ status, when: whens.join(' ') }));
}

function answer(doc: AnswerDoc) {
  return {
    description: doc.description,
    ...(doc.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(doc.headers).map(([name, description]) => [
              name,
              { description, schema: { type: 'string' } },
            ]),
          ),
        }
      : {}),
    ...(doc.schema
      ? { content: { [doc.contentType ?? 'application/json']: { schema: jsonSchema(doc.schema, 'output') } } }
      : {}),
  };
}

function parameters(key: string, doc: RouteDoc) {
  const inPath = [...key.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const path = inPath.map((name) => ({
    name,
    in: 'path',
    required: true,
    description: doc.path?.[name],
    schema: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
  }));
  const querySchema = doc.query ? jsonSchema(doc.query, 'input') : undefined;
  const required = new Set((querySchema?.required as string[] | undefined) ?? []);
  const query = Object.entries((querySchema?.properties ?? {}) as Record<string, JsonSchema>).map(
    ([name, schema]) => ({ name, in: 'query', required: required.has(name), schema }),
  );
  const headers = Object.entries(doc.headers ?? {}).map(([name, description]) => ({
    name,
    in: 'header',
    required: false,
    description,
    schema: { type: 'string', maxLength: 256 },
  }));
  return [...path, ...query, ...headers];
}

const operationId = (key: string) => {
  const [method, path] = key.split(' ') as [string, string];
  const words = path
    .split('/')
    .filter((part) => part && part !== 'api')
    .map((part) =>
      part.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string) => c?.toUpperCase() ?? ''),
    );
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
};

function operation(key: string, doc: RouteDoc) {
  const body = doc.bodyShape ?? doc.body;
  const params = parameters(key, doc);
  const responses: Record<string, unknown> = {};
  for (const a of doc.answers) responses[String(a.status)] = answer(a);
  for (const e of routeErrors(key, doc)) {
    responses[String(e.status)] = { description: e.when, content: json(errorRef) };
  }
  return {
    operationId: operationId(key),
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    // Public routes need no token; the rest a bearer token of one of the declared kinds.
    security: doc.caller === 'public' ? [] : [{ bearer: [] }],
    'x-muon-callers': doc.caller === 'public' ? ['public'] : [...doc.caller],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body
      ? {
          requestBody: {
            required: !(doc.body ?? body).safeParse(undefined).success,
            content: json(jsonSchema(body, 'input')),
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(docs: RouteDocs, info: { version: string }): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, doc] of Object.entries(docs).sort(([a], [b]) => a.localeCompare(b))) {
    const [method, path] = key.split(' ') as [string, string];
    paths[path] = { ...paths[path], [method.toLowerCase()]: operation(key, doc) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'muon',
      version: info.version,
      summary: 'A pull-based workload management system modelled on DIRAC; its HTTP API follows DiracX.',
      description:
        'Jobs (CWL or JDL), their sandboxes and outputs, the matcher and pilots, the file catalog, transformations and productions. ' +
        'Every route but the public ones takes `Authorization: Bearer <token>`; `x-muon-callers` names the kinds of token it admits (docs/security.md).',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          properties: {
            detail: {
              description: 'What went wrong, and what to fix; sometimes a structure (a bulk answer).',
            },
          },
          required: ['detail'],
        },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A user's token from the VO's identity provider (`muon login`), a pilot's, or a job's payload token.",
        },
      },
    },
    tags: [...new Set(Object.values(docs).map((d) => d.tag))].sort().map((name) => ({ name })),
  };
}
