/**
 * How a route is documented in the OpenAPI document (DiracX serves FastAPI's `/api/openapi.json`;
 * muon builds its own from the routes' zod schemas). A `RouteDoc` holds what `route()` does not:
 * a summary, the answers with their schemas, and the errors a caller can act on. The request
 * schemas are the very ones the route validates with; test/unit/http/openapi.test.ts checks each
 * against the route's own declaration, and `fits` makes an answer schema fail to compile when the
 * code's answer no longer fits it.
 */
import type { z } from 'zod';
import type { CallerPolicy } from '#shared/http/caller.ts';

export interface AnswerDoc {
  readonly status: number;
  readonly description: string;
  /** The body's schema (JSON unless `contentType` says otherwise); none for 204. */
  readonly schema?: z.ZodType;
  readonly contentType?: string;
  /** Response headers a client reads (`Content-Range` of a partial search page). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The usual answer: 200 with a JSON body of `schema`. */
export const ok = (description: string, schema: z.ZodType): AnswerDoc => ({
  status: 200,
  description,
  schema,
});

export interface ErrorDoc {
  readonly status: number;
  /** When the route answers it, in words a caller can act on. */
  readonly when: string;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** The group the route is listed under (jobs, sandboxes, pilots, data, ...). */
  readonly tag: string;
  /** Who may call it, as the route declares (checked against the route). */
  readonly caller: CallerPolicy;
  /** Each `{name}` of the route's path, described. */
  readonly path?: Readonly<Record<string, string>>;
  readonly body?: z.ZodType;
  /**
   * What the body must be, when the route takes any JSON and its service reads it with a stricter
   * schema (so that every problem is answered alike): the document shows this one.
   */
  readonly bodyShape?: z.ZodType;
  readonly query?: z.ZodType;
  /** Request headers the route reads (`Idempotency-Key`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Its successful answers: at least one 2xx. */
  readonly answers: readonly AnswerDoc[];
  /**
   * The errors particular to this route. The ones every route shares (a bad token, a wrong caller,
   * an invalid body or query, a 500) are added by the document from the declaration.
   */
  readonly errors: readonly ErrorDoc[];
}

export type RouteDocs = Readonly<Record<string, RouteDoc>>;

/** Readonly arrays and records of the code's types compare equal to the schemas' mutable ones. */
type Mutable<T> = T extends readonly (infer E)[]
  ? Mutable<E>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/** Every key of every member of a union. */
type AllKeys<T> = T extends unknown ? keyof T : never;
/** The fields the code answers that the schema leaves out (top level, or of an array's items). */
type Undescribed<A, O> = A extends readonly (infer E)[]
  ? O extends readonly (infer F)[]
    ? Undescribed<E, F>
    : never
  : A extends object
    ? Exclude<keyof A, AllKeys<O>>
    : never;

/**
 * `fits<CodeAnswer>()(schema)`: the schema, when every value the code can answer is one the schema
 * describes and no field it answers is left out; a compile error otherwise, so the document
 * cannot drift from the code.
 */
export const fits =
  <A>() =>
  <S extends z.ZodType>(
    schema: S &
      ([Mutable<A>] extends [z.output<S>] ? unknown : { notDescribedBySchema: Mutable<A> }) &
      ([Undescribed<A, z.output<S>>] extends [never]
        ? unknown
        : { fieldsMissingFromSchema: Undescribed<A, z.output<S>> }),
  ): S =>
    schema;

/** The `{detail}` body of every refusal (shared/http/middleware.ts). */
export const errorDescriptions: Readonly<Record<number, string>> = {
  400: 'The request cannot be read or asks for something impossible; the detail says what to fix.',
  401: 'No valid bearer token (missing, expired, badly signed, or for another audience).',
  403: 'The token is valid but this kind of caller, or this caller, may not do this.',
  404: 'What the request names does not exist for this caller.',
  409: 'The current state forbids it (a job status, a transformation state, a conflicting key).',
  413: 'The request body is larger than the API accepts.',
  416: 'The requested page is past the last one.',
  422: 'The body, query or a path parameter fails its schema; the detail names each field.',
  500: 'An internal error; the detail carries the request id to report, and nothing else.',
};
