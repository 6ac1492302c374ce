/**
 * The Powertools Metrics recorder of one function instance (see metrics.ts): counters and timings
 * go into one EMF document per invocation; a gauge with its own dimensions (pilots by status)
 * into a document of its own, since EMF dimensions hold for a whole document.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type MetricsRecorder, metricsNamespace } from '#shared/metrics.ts';

export interface RecorderOptions {
  /** The `service` dimension: the deployment's prefix. */
  readonly service: string;
  /** Where an EMF document goes: stdout in Lambda, where CloudWatch Logs extracts the metrics. */
  readonly write?: (line: string) => void;
}

const writeStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

export function createMetricsRecorder(options: RecorderOptions): MetricsRecorder {
  const write = options.write ?? writeStdout;
  const create = () => new Metrics({ namespace: metricsNamespace, serviceName: options.service });
  let metrics = create();
  const gauges: Metrics[] = [];
  return {
    count: (name, value) => {
      metrics.addMetric(name, MetricUnit.Count, value);
    },
    milliseconds: (name, value) => {
      metrics.addMetric(name, MetricUnit.Milliseconds, value);
    },
    gauge: (name, value, dimensions) => {
      const gauge = create();
      gauge.addDimensions({ ...dimensions });
      gauge.addMetric(name, MetricUnit.Count, value);
      gauges.push(gauge);
    },
    flush: () => {
      for (const document of [metrics, ...gauges.splice(0)]) {
        if (document.hasStoredMetrics()) write(JSON.stringify(document.serializeMetrics()));
      }
      metrics = create();
    },
  };
}
