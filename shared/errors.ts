/**
 * Typed domain errors. Each has a stable machine `code` and the HTTP status it becomes; the HTTP
 * error middleware is the only place that turns them into responses. Anything that is not a
 * `MuonError` is a 500 that leaks nothing.
 */
export class MuonError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** Extra machine-readable detail, returned as `detail` instead of the message when present. */
  readonly detail: unknown;
  /**
   * Whether the caller sees the message (the HTTP stack's one rule): the caller's own errors
   * (below 500) are shown, the service's are a plain 500, unless the error says otherwise.
   */
  readonly shown: boolean;

  constructor(
    code: string,
    statusCode: number,
    message: string,
    options?: { cause?: unknown; detail?: unknown; shown?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.detail = options?.detail;
    this.shown = options?.shown ?? statusCode < 500;
  }
}

/** The request is malformed or asks for something impossible: fix the request. */
export class BadRequestError extends MuonError {
  constructor(message: string, options?: { code?: string; cause?: unknown; detail?: unknown }) {
    super(options?.code ?? 'request.bad', 400, message, options);
  }
}

/** The body or parameters failed their schema. */
export class ValidationError extends MuonError {
  constructor(message: string, options?: { code?: string; detail?: unknown }) {
    super(options?.code ?? 'request.invalid', 422, message, options);
  }
}

export class UnauthorizedError extends MuonError {
  constructor(message = 'A valid bearer token is required.', code = 'auth.unauthorized') {
    super(code, 401, message);
  }
}

export class ForbiddenError extends MuonError {
  constructor(message: string, code = 'auth.forbidden') {
    super(code, 403, message);
  }
}

export class NotFoundError extends MuonError {
  constructor(message: string, code = 'resource.not_found') {
    super(code, 404, message);
  }
}

export class ConflictError extends MuonError {
  constructor(message: string, code = 'resource.conflict', detail?: unknown) {
    super(code, 409, message, { detail });
  }
}

/** A deployment or configuration mistake found at start-up: names the setting to fix. */
export class ConfigurationError extends MuonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config.invalid', 500, message, options);
  }
}

/**
 * A failure that retrying cannot fix. SQS consumers acknowledge the message and record the
 * failure instead of letting SQS redeliver it.
 */
export class PermanentError extends MuonError {
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(options?.code ?? 'work.permanent', 500, message, options);
  }
}

/**
 * Nothing was done because a dependency (DynamoDB, SQS, S3) did not answer: the same request may
 * be sent again later. Shown to the caller as a 503 with `Retry-After`, unlike other 5xx.
 */
export class ServiceUnavailableError extends MuonError {
  constructor(message: string, options?: { code?: string; cause?: unknown; detail?: unknown }) {
    // Shown: the caller should come back (Retry-After), and the message says what was not done.
    super(options?.code ?? 'service.unavailable', 503, message, { ...options, shown: true });
  }
}
