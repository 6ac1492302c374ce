/** One SQS queue per entry of the definition's `queues`, each with its dead-letter queue. */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterName, physicalName, type QueueName } from '#shared/resources.ts';
import type { ResourceDefinition } from '../definition.ts';

export interface QueuesProps {
  readonly prefix: string;
  readonly queues: ResourceDefinition['queues'];
}

export class Queues extends Construct {
  readonly byName: Readonly<Record<string, sqs.Queue>>;
  readonly deadLetters: Readonly<Record<string, sqs.Queue>>;

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    const byName: Record<string, sqs.Queue> = {};
    const deadLetters: Record<string, sqs.Queue> = {};
    for (const [name, definition] of Object.entries(props.queues)) {
      const deadLetterLogical = deadLetterName(name as QueueName);
      const deadLetter = new sqs.Queue(this, deadLetterLogical, {
        queueName: physicalName(props.prefix, deadLetterLogical),
        // The longest SQS allows: a message that failed maxReceiveCount times waits for a person.
        retentionPeriod: Duration.days(14),
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      });
      byName[name] = new sqs.Queue(this, name, {
        queueName: physicalName(props.prefix, name),
        visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(definition.retentionDays),
        deadLetterQueue: { queue: deadLetter, maxReceiveCount: definition.maxReceiveCount },
        enforceSSL: true,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
      });
      deadLetters[name] = deadLetter;
    }
    this.byName = byName;
    this.deadLetters = deadLetters;
  }
}
