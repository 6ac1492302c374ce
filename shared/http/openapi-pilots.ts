/**
 * The OpenAPI description of the health, identity, matcher and pilot routes (functions/health.ts,
 * functions/auth.ts, functions/matcher.ts, functions/pilots.ts): DiracX's `auth/userinfo` and
 * pilots routers, DIRAC's Matcher and PilotManager. See shared/http/openapi-contract.ts.
 */
import { loginClientSchema, userInfoSchema } from '#shared/auth/answers.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { healthAnswerSchema } from '#shared/health/answers.ts';
import type { RouteDoc, RouteDocs } from '#shared/http/openapi-contract.ts';
import { fits, ok } from '#shared/http/openapi-contract.ts';
import type { MatchAnswer } from '#shared/matcher/answer.ts';
import {
  matchAnswerSchema,
  matchingExplanationSchema,
  payloadTokenAnswerSchema,
} from '#shared/matcher/answer-schemas.ts';
import type { explainMatching } from '#shared/matcher/explain.ts';
import type { createMatcherPayloadTokens } from '#shared/matcher/payload-tokens.ts';
import { requestSchema } from '#shared/matcher/resource-description.ts';
import {
  logDownloadAnswerSchema,
  logUploadAnswerSchema,
  pilotInfoSchema,
  pilotSearchAnswerSchema,
  pilotSummaryAnswerSchema,
  registrationAnswerSchema,
} from '#shared/pilots/answers.ts';
import type { createPilotLogs } from '#shared/pilots/logs.ts';
import { logUploadSchema } from '#shared/pilots/logs.ts';
import { metadataSchema, referenceQuerySchema, registrationSchema } from '#shared/pilots/model.ts';
import type { PilotRegistry } from '#shared/pilots/registry.ts';
import type { summarizePilots } from '#shared/pilots/search.ts';
import { pilotPageQuerySchema, pilotSearchSchema, pilotSummarySchema } from '#shared/pilots/search.ts';

type Logs = ReturnType<typeof createPilotLogs>;
type Tokens = ReturnType<typeof createMatcherPayloadTokens>;
const jobId = { jobId: 'The job id: a plain decimal integer.' };
const unknownPilot = { status: 404, when: "No such pilot in the caller's VO." };

const health: RouteDoc = {
  tag: 'service',
  summary: 'Whether the API and each service behind it answer',
  caller: 'public',
  answers: [ok('All services answer.', healthAnswerSchema)],
  errors: [{ status: 503, when: 'A service behind the API does not answer; `dependencies` names it.' }],
};

export const pilotRouteDocs: RouteDocs = {
  'GET /api/health': health,
  'GET /api/auth/userinfo': {
    tag: 'auth',
    summary: 'Who the token says the caller is',
    caller: ['user', 'registeringPilot'],
    answers: [ok("The token's VO, subject, user name, group and properties.", userInfoSchema)],
    errors: [],
  },
  'GET /api/auth/client': {
    tag: 'auth',
    summary: 'Where `muon login` signs in: issuer, public client, scopes, audience',
    caller: 'public',
    answers: [
      ok(
        "The identity provider and the CLI's public client (no secret).",
        fits<{
          issuer: string;
          client_id: MuonConfig['auth']['login']['clientId'];
          scope: string;
          audience: MuonConfig['auth']['audience'];
          resource?: string;
        }>()(loginClientSchema),
      ),
    ],
    errors: [],
  },
  'POST /api/matcher/request': {
    tag: 'matcher',
    summary: 'A pilot asks for a job matching its resources',
    caller: ['pilot'],
    body: requestSchema,
    answers: [
      ok('A job with its payload token, or no match and why.', fits<MatchAnswer>()(matchAnswerSchema)),
    ],
    errors: [],
  },
  'POST /api/jobs/{jobId}/token': {
    tag: 'matcher',
    summary: "Renew a held job's payload token",
    caller: ['pilot'],
    path: jobId,
    answers: [
      ok('A fresh payload token.', fits<Awaited<ReturnType<Tokens['renew']>>>()(payloadTokenAnswerSchema)),
    ],
    errors: [
      { status: 403, when: 'The pilot does not hold the job, or the job is final.' },
      { status: 404, when: 'No such job.' },
    ],
  },
  'GET /api/jobs/{jobId}/matching': {
    tag: 'matcher',
    summary: 'Why a waiting job is (not) matched, against the pilots seen lately',
    caller: ['user'],
    path: jobId,
    answers: [
      ok(
        'Its requirements and, per site and CE, whether they match.',
        fits<Awaited<ReturnType<typeof explainMatching>>>()(matchingExplanationSchema),
      ),
    ],
    errors: [
      { status: 403, when: "The job is not the caller's." },
      { status: 404, when: "No such job in the caller's VO." },
    ],
  },
  'POST /api/pilots': {
    tag: 'pilots',
    summary: 'Register a pilot; get its credential',
    caller: ['registeringPilot'],
    body: registrationSchema,
    answers: [
      {
        status: 201,
        description: 'The pilot record was made.',
        schema: fits<Awaited<ReturnType<PilotRegistry['register']>>>()(registrationAnswerSchema),
      },
    ],
    errors: [{ status: 409, when: 'A pilot with this reference is already registered.' }],
  },
  'PATCH /api/pilots/metadata': {
    tag: 'pilots',
    summary: "Set a pilot's status",
    caller: ['pilot', 'user'],
    body: metadataSchema,
    answers: [{ status: 204, description: 'Recorded.' }],
    errors: [unknownPilot, { status: 409, when: 'The pilot already ended.' }],
  },
  'GET /api/pilots/info': {
    tag: 'pilots',
    summary: 'A pilot record',
    caller: ['user', 'pilot'],
    query: referenceQuerySchema,
    answers: [
      ok(
        'The record (a user sees only their own jobs of it).',
        fits<Awaited<ReturnType<PilotRegistry['info']>>>()(pilotInfoSchema),
      ),
    ],
    errors: [unknownPilot],
  },
  'POST /api/pilots/search': {
    tag: 'pilots',
    summary: 'Search pilots (the job search language over pilot columns), a page at a time',
    description: "An administrator sees the VO's pilots; a user those that ran their jobs.",
    caller: ['user'],
    body: pilotSearchSchema.optional(),
    query: pilotPageQuerySchema,
    answers: [
      ok('Every matching pilot.', pilotSearchAnswerSchema),
      {
        status: 206,
        description: 'One page of the matching pilots.',
        schema: pilotSearchAnswerSchema,
        headers: { 'Content-Range': '`pilots <first>-<last>/<total>`' },
      },
    ],
    errors: [
      { status: 400, when: 'An unknown column, operator or direction, or a bad value.' },
      { status: 416, when: 'The page is past the last one (Content-Range: `pilots */<total>`).' },
    ],
  },
  'POST /api/pilots/summary': {
    tag: 'pilots',
    summary: 'Count pilots grouped by columns',
    caller: ['user'],
    body: pilotSummarySchema,
    answers: [
      ok(
        'One row per group: its columns and `count`.',
        fits<Awaited<ReturnType<typeof summarizePilots>>>()(pilotSummaryAnswerSchema),
      ),
    ],
    errors: [{ status: 400, when: 'An unknown column or a bad condition.' }],
  },
  'POST /api/pilots/logs': {
    tag: 'pilots',
    summary: 'Where a pilot uploads its log',
    caller: ['pilot'],
    body: logUploadSchema,
    answers: [ok('A presigned PUT.', fits<Awaited<ReturnType<Logs['uploadUrl']>>>()(logUploadAnswerSchema))],
    errors: [],
  },
  'GET /api/pilots/logs': {
    tag: 'pilots',
    summary: "Where to read a pilot's log",
    caller: ['user', 'pilot'],
    query: referenceQuerySchema,
    answers: [
      ok('A presigned GET.', fits<Awaited<ReturnType<Logs['downloadUrl']>>>()(logDownloadAnswerSchema)),
    ],
    errors: [unknownPilot],
  },
};
