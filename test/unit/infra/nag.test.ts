import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTemporaryDirectories, type Synthesized, synthesize } from './synth.ts';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize({ alarmEmail: 'ops@example.org' });
});
afterAll(removeTemporaryDirectories);

describe('cdk-nag AwsSolutions checks', () => {
  it('find nothing that is not acknowledged with a reason where the resource is made', () => {
    const report = new AwsSolutionsChecks().validateScope(synthesized.stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );
    expect(findings).toEqual([]);
  });
});
