/**
 * Waking a part of the embedded runtime when a DynamoDB write it cares about succeeds: a
 * middleware on the runtime's client that, after a matching command, calls `wake` once after
 * `delayMs` however many such writes come in that time (the jobs of one submission move together).
 * The cloud has no such shortcut: there the site director and the pilots keep their own cycles.
 */
import type { AwsClients } from '#shared/deps.ts';

export interface WrittenCommand {
  readonly commandName: string;
  readonly input: { readonly TableName?: string; readonly ExpressionAttributeValues?: unknown };
}

export function wakeOnWrite(
  aws: AwsClients,
  options: {
    readonly name: string;
    readonly delayMs: number;
    readonly matches: (command: WrittenCommand) => boolean;
    readonly wake: () => void;
  },
): void {
  let pending: NodeJS.Timeout | undefined;
  aws.dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = {
        commandName: context.commandName ?? '',
        input: args.input as WrittenCommand['input'],
      };
      if (!pending && options.matches(command)) {
        pending = setTimeout(() => {
          pending = undefined;
          options.wake();
        }, options.delayMs);
        pending.unref();
      }
      return result;
    },
    { step: 'initialize', name: options.name },
  );
}
