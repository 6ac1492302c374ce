/**
 * What a deployed function does around each invocation (no DIRAC counterpart: DIRAC services log
 * and report to their Monitoring system; this is the AWS side of that):
 * - the logger learns the Lambda context (request id, cold start) for every line it writes;
 * - muon's metrics of the invocation are collected and written as one EMF document at its end
 *   (shared/metrics.ts);
 * - Powertools Tracer traces the AWS SDK clients and opens a `## handler` subsegment annotated
 *   with the cold start and the service.
 *
 * Powertools Metrics and Tracer are loaded on the first invocation (esbuild keeps them in the
 * bundle), so the embedded runtime and the CLI, which import the function modules but call
 * `createHandler(deps)` themselves, never load them (docs/operations.md).
 */
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { Deps } from '#shared/deps.ts';
import { powertoolsOf } from '#shared/log.ts';
import { type MetricsRecorder, withMetrics } from '#shared/metrics.ts';

type Env = Readonly<Record<string, string | undefined>>;

export type Invoke = <R>(context: unknown, run: () => Promise<R>) => Promise<R>;

/** The wrapper of every invocation of one function instance; metrics go to stdout unless `writeMetrics`. */
export function lambdaObservability(
  deps: Deps,
  env: Env,
  options: { readonly writeMetrics?: (line: string) => void } = {},
): Invoke {
  const service = env.POWERTOOLS_SERVICE_NAME ?? 'muon';
  let loaded: Promise<{ recorder: MetricsRecorder; tracer: Tracer | undefined }> | undefined;
  return async (context, run) => {
    if (isLambdaContext(context)) powertoolsOf(deps.logger)?.addContext(context);
    loaded ??= load(deps, service, env, options.writeMetrics);
    const { recorder, tracer } = await loaded;
    return withMetrics(recorder, () => (tracer ? inSubsegment(tracer, run) : run()));
  };
}

async function load(deps: Deps, service: string, env: Env, write?: (line: string) => void) {
  const { createMetricsRecorder } = await import('#shared/metrics-recorder.ts');
  return {
    recorder: createMetricsRecorder({ service, ...(write ? { write } : {}) }),
    tracer: await loadTracer(deps, service, env),
  };
}

async function loadTracer(deps: Deps, service: string, env: Env): Promise<Tracer | undefined> {
  // Traced only where X-Ray is: Lambda sets the trace header; the SDK is not worth loading elsewhere.
  if (!env.AWS_LAMBDA_FUNCTION_NAME || env.POWERTOOLS_TRACE_ENABLED === 'false') return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  const tracer = new Tracer({ serviceName: service, captureHTTPsRequests: false });
  tracer.captureAWSv3Client(deps.aws.dynamo);
  tracer.captureAWSv3Client(deps.aws.sqs);
  tracer.captureAWSv3Client(deps.aws.s3);
  return tracer;
}

async function inSubsegment<R>(tracer: Tracer, run: () => Promise<R>): Promise<R> {
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment('## handler');
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    return await run();
  } catch (error) {
    if (error instanceof Error) tracer.addErrorAsMetadata(error);
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
  }
}

const isLambdaContext = (context: unknown): context is Context =>
  typeof context === 'object' && context !== null && 'awsRequestId' in context;
