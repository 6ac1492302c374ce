/**
 * muon's own CloudWatch metrics, written by Powertools for AWS Lambda's Metrics as Embedded Metric
 * Format (DIRAC: the Monitoring system's WMSHistory and the JobsStatus accounting).
 *
 * Glossary: a *recorder* collects one invocation's metrics and writes them as one EMF document
 * when the invocation ends; the *scope* is the invocation a recorder belongs to.
 *
 * Why a scope rather than a dependency passed down: the places that know a job was submitted,
 * matched or ended are the job transitions (shared/jobs/transitions/), reached from a dozen
 * services through a store that is only a client and a table name. Like Powertools' own
 * invocation store, an AsyncLocalStorage carries the recorder from the entry point (`lambdaEntry`)
 * to them. Where no scope is open (the embedded runtime, the CLI, tests) a metric is a no-op: one
 * lookup, nothing written, so local runs are neither noisy nor slower. See docs/operations.md.
 * The recorder itself (metrics-recorder.ts) is what loads Powertools, on a function's first
 * invocation only.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** The CloudWatch namespace; each deployment is a `service` dimension (its prefix). */
export const metricsNamespace = 'muon';

export const metricNames = {
  /** Jobs written as Received by a submission (a retried submission counts only new jobs). */
  jobsSubmitted: 'JobsSubmitted',
  /** Jobs handed to a pilot (Waiting to Matched). */
  jobsMatched: 'JobsMatched',
  jobsDone: 'JobsDone',
  jobsFailed: 'JobsFailed',
  /** Milliseconds the matcher took to answer a pilot's request, job or not. */
  matchLatency: 'MatchLatency',
  /** Pilot records per status (dimension `status`), counted by the PilotStatus agent. */
  pilots: 'Pilots',
} as const;

export type MetricName = (typeof metricNames)[keyof typeof metricNames];

export interface MetricsRecorder {
  count(name: MetricName, value: number): void;
  milliseconds(name: MetricName, value: number): void;
  /** A value with its own dimensions, e.g. pilots with `status`; written as its own document. */
  gauge(name: MetricName, value: number, dimensions: Readonly<Record<string, string>>): void;
  /** Writes what was recorded (if anything) and starts afresh. */
  flush(): void;
}

const scope = new AsyncLocalStorage<MetricsRecorder>();

/** Runs one invocation with `recorder` as its scope, and writes its metrics when it ends. */
export async function withMetrics<T>(recorder: MetricsRecorder, run: () => Promise<T>): Promise<T> {
  try {
    return await scope.run(recorder, run);
  } finally {
    recorder.flush();
  }
}

/** Adds to a counter of the current invocation; nothing outside one. */
export function countMetric(name: MetricName, value = 1): void {
  if (value !== 0) scope.getStore()?.count(name, value);
}

export function timeMetric(name: MetricName, milliseconds: number): void {
  scope.getStore()?.milliseconds(name, milliseconds);
}

export function gaugeMetric(
  name: MetricName,
  value: number,
  dimensions: Readonly<Record<string, string>>,
): void {
  scope.getStore()?.gauge(name, value, dimensions);
}
