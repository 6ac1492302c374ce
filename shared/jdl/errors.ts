import { BadRequestError } from '#shared/errors.ts';

/** Where a JDL text goes wrong: 1-based line and column (columns count UTF-16 code units). */
export interface JdlPosition {
  readonly line: number;
  readonly column: number;
}

/** The JDL text is not valid ClassAd syntax. The message starts with the line and column. */
export class JdlSyntaxError extends BadRequestError {
  readonly line: number;
  readonly column: number;
  /** The problem alone, without the position prefix. */
  readonly reason: string;

  constructor(position: JdlPosition, reason: string) {
    super(`line ${position.line}, column ${position.column}: ${reason}`, {
      code: 'jdl.syntax',
      detail: { line: position.line, column: position.column, reason },
    });
    this.line = position.line;
    this.column = position.column;
    this.reason = reason;
  }
}

/** An attribute holds a value of the wrong shape for what is asked of it (`CPUTime = "soon"`). */
export class JdlValueError extends BadRequestError {
  readonly attribute: string;

  constructor(attribute: string, message: string) {
    super(message, { code: 'jdl.invalid_value', detail: { attribute } });
    this.attribute = attribute;
  }
}

/** The parametric part of a JDL (`Parameters`, `ParameterStart`, ...) is inconsistent. */
export class ParametricJobError extends BadRequestError {
  constructor(message: string) {
    super(message, { code: 'jdl.parametric' });
  }
}

/** A parametric JDL describes more jobs than the caller allows (DIRAC's `MaxParametricJobs`). */
export class TooManyParametricJobsError extends BadRequestError {
  readonly count: number;
  readonly max: number;

  constructor(count: number, max: number) {
    super(`The JDL describes ${count} parametric jobs; the limit is ${max}.`, {
      code: 'jdl.too_many_jobs',
      detail: { count, max },
    });
    this.count = count;
    this.max = max;
  }
}
