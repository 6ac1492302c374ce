/**
 * cdk-nag's AwsSolutions checks run on every synth (infra/app.ts) and in `npm run test:infra`.
 * A finding that does not apply is acknowledged where the resource is made, with its reason,
 * through this one helper (cdk-nag 3 uses CDK's own `Validations.of(...).acknowledge`, which
 * covers the construct and everything under it). A finding with several parts (IAM5's wildcards)
 * is acknowledged per part: `AwsSolutions-IAM5[Resource::*]`.
 */
import { type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export function suppress(
  construct: IConstruct,
  ids: string | readonly string[],
  reason: readonly string[],
): void {
  for (const id of typeof ids === 'string' ? [ids] : ids) {
    Validations.of(construct).acknowledge({ id, reason: reason.join(' ') });
  }
}

/** How cdk-nag names a resource's ARN inside a finding: `<LogicalId.Arn>`. */
export const arnInFinding = (resource: IConstruct): string =>
  `<${Stack.of(resource).getLogicalId(resource.node.defaultChild as CfnElement)}.Arn>`;

/**
 * The constructs CDK makes once per stack at its root (a BucketDeployment's or custom resource's
 * function) whose id starts with `idPrefix`: their findings are acknowledged there.
 */
export const stackSingletons = (scope: IConstruct, idPrefix: string): IConstruct[] =>
  Stack.of(scope).node.children.filter((child) => child.node.id.startsWith(idPrefix));
