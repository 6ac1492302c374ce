/**
 * Route timings as muon metrics (shared/metrics.ts): the routes whose answer time is watched, and
 * the middleware that records it. Today one: the matcher's answer to a pilot (DIRAC's Matcher
 * reports its `matchTime` the same way). A metric is a no-op outside Lambda.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResponse } from '#shared/http/middleware.ts';
import { type MetricName, metricNames, timeMetric } from '#shared/metrics.ts';

/** Route keys whose answer time is written as a metric, and the metric's name. */
export const timedRoutes: Readonly<Record<string, MetricName>> = {
  'POST /api/matcher/request': metricNames.matchLatency,
};

export function routeMetrics(): MiddlewareObj<HttpEvent, HttpResponse, Error, Context, { timedAt?: number }> {
  return {
    before: (request) => {
      if (timedRoutes[request.event.routeKey]) request.internal.timedAt = performance.now();
    },
    after: (request) => {
      const name = timedRoutes[request.event.routeKey];
      const started = request.internal.timedAt;
      if (name && started !== undefined) timeMetric(name, performance.now() - started);
    },
  };
}
