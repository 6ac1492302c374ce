/**
 * Invoking a handler the way Lambda does: a context with the function's name, a request id and the
 * remaining time, and an end to the invocation when the function's timeout passes.
 */
import type { Context } from 'aws-lambda';
import type { FunctionDefinition } from '#shared/resources.ts';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  readonly name: string;
  readonly definition: FunctionDefinition;
  readonly handler: LambdaHandler;
}

export class InvocationTimeoutError extends Error {
  constructor(name: string, seconds: number) {
    super(`Task timed out after ${seconds} seconds (function ${name}).`);
    this.name = 'InvocationTimeoutError';
  }
}

export async function invoke(
  fn: LocalFunction,
  event: unknown,
  requestId: string = crypto.randomUUID(),
): Promise<unknown> {
  const timeoutMs = fn.definition.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: fn.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${fn.name}`,
    memoryLimitInMB: String(fn.definition.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new InvocationTimeoutError(fn.name, fn.definition.timeoutSeconds)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn.handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
