/**
 * Who may call a route, declared with the route (`route({ caller: [...] })`) and enforced here
 * before the route's code runs, so that no route can forget it. The kinds (docs/security.md):
 * - `user`: a person's token (NormalUser, JobAdministrator, ...);
 * - `pilot`: a registered pilot: a GenericPilot token plus `X-Muon-Pilot` and its secret, bound
 *   to the pilot record (shared/pilots/binding.ts);
 * - `registeringPilot`: a GenericPilot token before registration (registration itself only);
 * - `payload`: a payload token (shared/auth/payload-token.ts), accepted only while its job is held
 *   by the pilot it names and is not final: checked here, or by a route that reads the job anyway
 *   and declares `payloadHolding: 'route'` (shared/jobs/holding.ts). That the route's job is the
 *   token's job is the job access policy's check (shared/jobs/access.ts).
 * Anything else is a 403 that names the kind of token and the route.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { callerKind, type Identity } from '#shared/auth/identity.ts';
import { type Deps, tableName } from '#shared/deps.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { holdingError } from '#shared/jobs/holding.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { jobKey } from '#shared/jobs/store/keys.ts';
import type { PilotBinding } from '#shared/pilots/binding.ts';

export const callers = ['user', 'pilot', 'registeringPilot', 'payload'] as const;
export type Caller = (typeof callers)[number];
/** A route's declared callers; `'public'` needs no token at all. */
export type CallerPolicy = 'public' | readonly [Caller, ...Caller[]];

const describeKind = {
  user: 'A user token',
  pilot: 'A pilot token',
  payload: 'A payload token',
} as const;

/**
 * Where a payload caller's holding is checked: `'stack'` (the default) reads the job's status here
 * before the route runs; `'route'` leaves it to a route that reads the token's job for its own
 * work and applies `assertPayloadHolding` (shared/jobs/holding.ts) on that read.
 */
export type PayloadHolding = 'stack' | 'route';

export type CallerCheck = (
  policy: readonly Caller[],
  identity: Identity,
  headers: Readonly<Record<string, string>>,
  routeKey: string,
  payloadHolding?: PayloadHolding,
) => Promise<Identity>;

export function createCallerCheck(
  deps: Pick<Deps, 'aws' | 'resources'>,
  bindPilot: PilotBinding,
): CallerCheck {
  return async (policy, identity, headers, routeKey, payloadHolding = 'stack') => {
    const kind = callerKind(identity);
    const refuse = (): never => {
      throw new ForbiddenError(
        `${describeKind[kind]} may not call ${routeKey}; it is for: ${policy.join(', ')}.`,
        'auth.wrong_caller',
      );
    };
    switch (kind) {
      case 'user':
        return policy.includes('user') ? identity : refuse();
      case 'pilot':
        if (policy.includes('pilot')) return bindPilot(identity, headers);
        return policy.includes('registeringPilot') ? identity : refuse();
      case 'payload':
        if (!policy.includes('payload')) return refuse();
        if (payloadHolding === 'stack') await assertPayloadJobLive(deps, identity);
        return identity;
    }
  };
}

/** A payload token works while its job is held by the pilot it names and is not final. */
async function assertPayloadJobLive(deps: Pick<Deps, 'aws' | 'resources'>, identity: Identity) {
  const jobId = identity.jobId as number;
  const error = holdingError(identity, jobId, await getHolding(deps, jobId));
  if (error) throw error;
}

/**
 * Only what the check needs of the job: it runs on every payload call (heartbeats most of all),
 * and a whole job item can be large.
 */
async function getHolding(
  deps: Pick<Deps, 'aws' | 'resources'>,
  jobId: number,
): Promise<Pick<JobRecord, 'vo' | 'status' | 'pilotReference'> | undefined> {
  const { Item } = await deps.aws.dynamo.send(
    new GetCommand({
      TableName: tableName(deps.resources, 'jobs'),
      Key: jobKey(jobId),
      ConsistentRead: true,
      ProjectionExpression: '#vo, #status, #pilot',
      ExpressionAttributeNames: { '#vo': 'vo', '#status': 'status', '#pilot': 'pilotReference' },
    }),
  );
  return Item as Pick<JobRecord, 'vo' | 'status' | 'pilotReference'> | undefined;
}
