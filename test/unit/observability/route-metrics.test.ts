import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '#shared/config/load.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { createLogger } from '#shared/log.ts';
import { withMetrics } from '#shared/metrics.ts';
import { createMetricsRecorder } from '#shared/metrics-recorder.ts';

const handler = createHttpHandler(
  {
    logger: createLogger({ level: 'error', write: () => undefined }),
    config: loadConfigFile('config/muon.yaml'),
    aws: {} as never,
    resources: { tables: {}, queues: {} },
    now: () => new Date(),
  },
  {
    // Public here so that the stack reads no pilot record; the real route admits pilots only.
    'POST /api/matcher/request': route({ caller: 'public', handle: () => ({ job: null }) }),
    'GET /api/health': route({ caller: 'public', handle: () => ({ ok: true }) }),
  },
);

const event = (routeKey: string) =>
  ({
    version: '2.0',
    routeKey,
    rawPath: routeKey.split(' ')[1],
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'r1', http: { method: routeKey.split(' ')[0] } },
  }) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

describe('Route metrics', () => {
  it("time the matcher's answer to a pilot as MatchLatency, and no other route", async () => {
    const documents: Record<string, unknown>[] = [];
    const recorder = createMetricsRecorder({
      service: 'muon-test',
      write: (line) => documents.push(JSON.parse(line)),
    });
    const health = await withMetrics(recorder, () => handler(event('GET /api/health'), {} as Context));
    expect(health.statusCode).toBe(200);
    expect(documents).toHaveLength(0);
    const match = await withMetrics(recorder, () =>
      handler(event('POST /api/matcher/request'), {} as Context),
    );
    expect(match.statusCode).toBe(200);
    expect(typeof documents[0]?.MatchLatency).toBe('number');
  });
});
