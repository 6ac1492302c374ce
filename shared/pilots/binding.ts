/**
 * The pilot credential binding. A pilot token (GenericPilot) is shared by every pilot of a VO, so
 * on its own it cannot say which pilot is calling. A registered pilot proves it with two headers,
 * `X-Muon-Pilot: <reference>` and `X-Muon-Pilot-Secret: <secret>`; `bind` checks them against the
 * pilot record and returns the identity with its `pilotReference`, which job access then requires
 * (only the pilot a job was handed to reports on it). The caller check (shared/http/caller.ts)
 * calls it for pilot callers only.
 *
 * Each handler instance keeps the records it read for 60 s, so a pilot's steady calls cost no
 * read; an ended pilot may therefore keep working for up to a minute on instances that know it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Identity } from '#shared/auth/identity.ts';
import { type Deps, tableName } from '#shared/deps.ts';
import { ForbiddenError } from '#shared/errors.ts';
import { endedStatuses, maxNameLength, type PilotRecord } from '#shared/pilots/model.ts';
import { getPilot } from '#shared/pilots/records.ts';

/** The request headers of the pilot credential, lower case as the HTTP stack hands them over. */
export const pilotHeaders = { reference: 'x-muon-pilot', secret: 'x-muon-pilot-secret' } as const;

const cacheSeconds = 60;
const cacheLimit = 10_000;

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Whether `secret` hashes to `secretHash`, compared in constant time. */
function secretMatches(secret: string, secretHash: string): boolean {
  const expected = Buffer.from(secretHash, 'hex');
  const given = createHash('sha256').update(secret).digest();
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export type PilotBinding = ((
  identity: Identity,
  headers: Readonly<Record<string, string>>,
) => Promise<Identity>) & {
  /** Drops a cached record, after this instance changed it. */
  readonly forget: (reference: string) => void;
};

export function createPilotBinding(deps: Pick<Deps, 'aws' | 'resources' | 'now' | 'logger'>): PilotBinding {
  const cache = new Map<string, { pilot: PilotRecord; until: number }>();

  /** The record, from the cache while it is fresh; absent records are not cached. */
  async function record(reference: string): Promise<PilotRecord | undefined> {
    const now = deps.now().getTime();
    const cached = cache.get(reference);
    if (cached && cached.until > now) return cached.pilot;
    cache.delete(reference);
    const pilot = await getPilot(deps.aws.dynamo, tableName(deps.resources, 'pilots'), reference);
    if (!pilot) return undefined;
    if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value as string);
    cache.set(reference, { pilot, until: now + cacheSeconds * 1000 });
    return pilot;
  }

  const refuse = (reference: string, reason: string, message: string): never => {
    deps.logger.info('pilot credential refused', { pilotReference: reference, reason });
    throw new ForbiddenError(message);
  };

  async function bind(identity: Identity, headers: Readonly<Record<string, string>>): Promise<Identity> {
    const reference = headers[pilotHeaders.reference];
    const secret = headers[pilotHeaders.secret];
    if (!reference || !secret) {
      throw new ForbiddenError(
        'A pilot must register with POST /api/pilots and send X-Muon-Pilot and X-Muon-Pilot-Secret.',
      );
    }
    // No registered reference is longer (registrationSchema), and a longer one is no DynamoDB key (500).
    const pilot = reference.length <= maxNameLength ? await record(reference) : undefined;
    if (!pilot || pilot.vo !== identity.vo) {
      return refuse(
        reference,
        'unknown',
        `Pilot ${reference} is not registered in ${identity.vo}: register with POST /api/pilots and send X-Muon-Pilot and X-Muon-Pilot-Secret.`,
      );
    }
    if (!pilot.secretHash || !secretMatches(secret, pilot.secretHash)) {
      return refuse(reference, 'secret', `X-Muon-Pilot-Secret is not the secret of pilot ${reference}.`);
    }
    if (endedStatuses.has(pilot.status)) {
      return refuse(
        reference,
        'ended',
        `Pilot ${reference} is ${pilot.status}; an ended pilot may not call.`,
      );
    }
    return {
      ...identity,
      pilotReference: reference,
      pilotRegistration: { site: pilot.site, gridCE: pilot.gridCE },
    };
  }

  return Object.assign(bind, { forget: (reference: string) => void cache.delete(reference) });
}
