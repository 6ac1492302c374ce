/**
 * Structured JSON logs, one line per event, written by Powertools for AWS Lambda's Logger (DIRAC:
 * gLogger). The request id and other context are carried by a child logger.
 *
 * The same formatter runs in Lambda and in the embedded runtime, so a line has the same fields in
 * CloudWatch and in `~/.muon/logs/muon.log`: `time`, `level` (lower case), `message`, `service`,
 * then the Lambda context Powertools adds when there is one (`function_request_id`, `cold_start`,
 * `xray_trace_id`), then the caller's fields. Lines go to stdout unless a `write` sink is given
 * (the local runtime's log file, the pilot's log, a test's array); Powertools itself only knows
 * the console, hence the `printLog` override.
 */
import {
  LogFormatter,
  LogItem,
  LogLevelThreshold,
  Logger as PowertoolsLogger,
} from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogAttributes,
  UnformattedAttributes,
} from '@aws-lambda-powertools/logger/types';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  context?: Record<string, unknown>;
  /** Powertools' `service` field; POWERTOOLS_SERVICE_NAME when unset, else `muon`. */
  service?: string;
}

const writeStdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

/** muon's field names (kept from before Powertools, which pilot logs and greps rely on). */
class MuonLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    const base: LogAttributes = {
      time: attributes.timestamp.toISOString(),
      level: attributes.logLevel.toLowerCase(),
      message: attributes.message,
      service: attributes.serviceName,
      ...(context ? { function_request_id: context.awsRequestId, cold_start: context.coldStart } : {}),
      ...(attributes.xRayTraceId ? { xray_trace_id: attributes.xRayTraceId } : {}),
    };
    return new LogItem({ attributes: base }).addAttributes(additional);
  }
}

/** A Powertools Logger whose lines go to `write`; its children inherit the sink. */
class SinkLogger extends PowertoolsLogger {
  // Not a class field: Powertools may print from its constructor, before fields are initialised.
  declare sink: ((line: string) => void) | undefined;

  constructor(options: ConstructorOptions, sink?: (line: string) => void) {
    super(options);
    this.sink = sink;
  }

  protected override createLogger(options?: ConstructorOptions): PowertoolsLogger {
    return new SinkLogger(options ?? {}, this.sink);
  }

  protected override printLog(_level: number, log: LogItem): void {
    log.prepareForPrint();
    (this.sink ?? writeStdout)(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

const formatter = new MuonLogFormatter();

export function createLogger(options: LoggerOptions = {}): Logger {
  const powertools = new SinkLogger(
    {
      logLevel: (options.level ?? 'info').toUpperCase() as 'INFO',
      serviceName: options.service ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'muon',
      logFormatter: formatter,
      ...(options.context ? { persistentKeys: options.context } : {}),
    },
    options.write,
  );
  return wrap(powertools);
}

/**
 * The Powertools logger behind a muon `Logger`, for the middy middleware that adds the Lambda
 * context (`injectLambdaContext`). Undefined for a logger not made here (a test double).
 */
export const powertoolsOf = (logger: Logger): PowertoolsLogger | undefined =>
  (logger as Partial<{ [powertools]: PowertoolsLogger }>)[powertools];

const powertools = Symbol('powertools');

const thresholds: Readonly<Record<LogLevel, number>> = {
  debug: LogLevelThreshold.DEBUG,
  info: LogLevelThreshold.INFO,
  warn: LogLevelThreshold.WARN,
  error: LogLevelThreshold.ERROR,
};

/**
 * A child is the same Powertools logger with more fields on each line, not a `createChild`:
 * building a Powertools logger costs about 0.2 ms, and the HTTP stack makes two per request.
 */
function wrap(inner: PowertoolsLogger, context?: Record<string, unknown>): Logger {
  const withContext = (fields?: Record<string, unknown>) =>
    context ? (fields ? { ...context, ...fields } : context) : fields;
  const emit = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    // A line below the level costs one comparison, not the merge of its fields.
    if (thresholds[level] < inner.level) return;
    const all = withContext(fields);
    if (all) inner[level](message, all);
    else inner[level](message);
  };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => wrap(inner, withContext(fields)),
    [powertools]: inner,
  } as Logger;
}

export const parseLogLevel = (value: string | undefined): LogLevel =>
  value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
