/**
 * The CDK app (`npx cdk synth`). Context: `prefix` (default `muon`) names the stack and prefixes
 * every resource; `config` (default `config/muon.yaml`) is the configuration document; `maxvCpus`,
 * `spot`, `pilotVcpus`, `pilotMemoryMiB` and `pilotTimeoutHours` size the pilots' AWS Batch capacity;
 * `alarmEmail` subscribes an address to the alarm topic; `apiRateLimit`, `apiBurstLimit` and
 * `corsOrigins` (comma-separated) set the API's guards (docs/operations.md); `identity=cognito`
 * brings a Cognito user pool the API trusts (docs/identity.md). cdk-nag's AwsSolutions
 * checks run on every synth: an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigurationError, MuonError } from '#shared/errors.ts';
import { refusePlaceholderIssuer } from './config.ts';
import type { PilotSettings } from './constructs/batch.ts';
import { MuonStack } from './stack.ts';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);

// `-c key=value` arrives as a string; cdk.json and tests may pass real numbers and booleans.
function numberContext(key: string): number | undefined {
  const value = context(key);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new ConfigurationError(`Context "${key}" must be a positive number, not "${value}".`);
  }
  return number;
}

function booleanContext(key: string): boolean | undefined {
  const value = context(key);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigurationError(`Context "${key}" must be true or false, not "${value}".`);
}

function emailContext(key: string): string {
  const value = String(context(key));
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    throw new ConfigurationError(`Context "${key}" must be an e-mail address, not "${value}".`);
  }
  return value;
}

try {
  const prefix = String(context('prefix') ?? 'muon');
  const pilots: Partial<PilotSettings> = {
    maxvCpus: numberContext('maxvCpus'),
    spot: booleanContext('spot'),
    vcpus: numberContext('pilotVcpus'),
    memoryMiB: numberContext('pilotMemoryMiB'),
    timeoutHours: numberContext('pilotTimeoutHours'),
  };
  const configPath = String(context('config') ?? 'config/muon.yaml');
  const identity = context('identity');
  if (identity !== undefined && identity !== 'cognito') {
    throw new ConfigurationError(`Context "identity" must be cognito (or absent), not "${identity}".`);
  }
  // With Cognito the deployed issuer is the pool's, whatever the file says.
  if (identity === undefined) refusePlaceholderIssuer(configPath);
  new MuonStack(app, prefix, {
    prefix,
    configPath,
    ...(identity === 'cognito' ? { identity } : {}),
    pilots,
    ...(context('alarmEmail') ? { alarmEmail: emailContext('alarmEmail') } : {}),
    apiGuards: {
      ...(context('apiRateLimit') ? { rateLimit: numberContext('apiRateLimit') as number } : {}),
      ...(context('apiBurstLimit') ? { burstLimit: numberContext('apiBurstLimit') as number } : {}),
      ...(context('corsOrigins') ? { corsOrigins: String(context('corsOrigins')).split(',') } : {}),
    },
    description: `muon workload management system (${prefix})`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  // A configuration mistake is reported as its message alone, not as a stack trace.
  if (!(error instanceof MuonError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
