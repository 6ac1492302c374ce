/**
 * Structured JSON logs, one line per event, with the request id and other context carried by a
 * child logger. CloudWatch and the local runtime both read these lines as they are.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

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
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = order[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const context = options.context ?? {};
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[level] < threshold) return;
    const entry = { time: new Date().toISOString(), level, message, ...context, ...fields };
    write(JSON.stringify(entry, errorReplacer));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, context: { ...context, ...fields } }),
  };
}

export const parseLogLevel = (value: string | undefined): LogLevel =>
  value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  return value;
}
