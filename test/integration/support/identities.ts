/**
 * The callers of the authorization matrix (test/integration/authorization-matrix.test.ts): a
 * configuration with a second group and a second VO, and tokens that the authorizer must refuse
 * (altered, expired, forged payload tokens), and jobs held by a pilot with their payload tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { payloadTokenIssuer } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { hasStatus, waitForJob } from '#test/integration/support/jobs.ts';
import type { RegisteredPilot } from '#test/integration/support/pilots.ts';
import { type TestRuntime, testConfig } from '#test/integration/support/runtime.ts';

export const vo = 'vo.example.org';
export const otherVo = 'vo.other.org';

/**
 * config/muon.yaml plus group `user2` (NormalUser) in vo.example.org, and vo.other.org with its own
 * `user` and `pilot` groups, so that the tokens of both are served (not refused as unknown).
 */
export function matrixConfig(): MuonConfig {
  const base = testConfig();
  const example = base.virtualOrganizations[vo];
  if (!example) throw new Error(`the test config lacks ${vo}`);
  return {
    ...base,
    virtualOrganizations: {
      [vo]: {
        ...example,
        groups: { ...example.groups, user2: { properties: ['NormalUser'], share: 1, jobSharing: false } },
      },
      [otherVo]: {
        ...example,
        groups: {
          user: { properties: ['NormalUser'], share: 1, jobSharing: false },
          pilot: { properties: ['GenericPilot'], share: 1, jobSharing: false },
        },
      },
    },
  };
}

/** The same token with one character of its signature changed (never only the padding bits). */
export function alterSignature(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const at = Math.floor(signature.length / 2);
  const changed = signature[at] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, at)}${changed}${signature.slice(at + 1)}`;
}

/**
 * A payload token exactly as the matcher issues one (shared/auth/payload-token.ts), for `jobId` on
 * `pilotReference`, but signed with a key muon never had.
 */
export function forgePayloadToken(options: {
  readonly jobId: number;
  readonly pilotReference: string;
  readonly owner: string;
  readonly ownerGroup: string;
  readonly audience: string;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    vo,
    preferred_username: options.owner,
    dirac_group: options.ownerGroup,
    dirac_properties: [],
    token_use: 'payload',
    job_id: String(options.jobId),
    pilot: options.pilotReference,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(payloadTokenIssuer)
    .setAudience(options.audience)
    .setSubject(`job:${vo}:${options.jobId}`)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(randomBytes(32));
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A job held by a pilot, with the payload token the matcher gave for it. */
export interface HeldJob {
  readonly jobId: number;
  readonly payloadToken: string;
}

/** Submits JDL jobs as alice and waits until each is Waiting; their ids. */
export async function submitAndWait(runtime: TestRuntime, jdls: readonly string[]): Promise<number[]> {
  const response = await runtime.api('/api/jobs/jdl', { method: 'POST', json: jdls });
  const body = (await response.json()) as { JobID: number }[];
  if (response.status !== 201)
    throw new Error(`submission failed: ${response.status} ${JSON.stringify(body)}`);
  const ids = body.map((job) => job.JobID);
  await Promise.all(ids.map((id) => waitForJob(runtime, id, hasStatus('Waiting'), 30_000)));
  return ids;
}

/** Has `pilot` take this Waiting job from the matcher; the job and its payload token. */
export async function takeJob(runtime: TestRuntime, pilot: RegisteredPilot, jobId: number): Promise<HeldJob> {
  const response = await runtime.api('/api/matcher/request', {
    method: 'POST',
    as: 'pilot',
    headers: pilot.headers,
    json: { CPUTime: 1_000_000, JobID: jobId },
  });
  const answer = (await response.json()) as { match?: boolean; job?: { PayloadToken?: string } };
  if (answer.match !== true || !answer.job?.PayloadToken)
    throw new Error(`job ${jobId} was not matched: ${JSON.stringify(answer)}`);
  return { jobId, payloadToken: answer.job.PayloadToken };
}

/** What `POST /api/jobs/sandbox` is told about these bytes (they need not be a real tar.gz). */
export const sandboxInfo = (bytes: string) => ({
  checksum_algorithm: 'sha256',
  checksum: createHash('sha256').update(bytes).digest('hex'),
  size: Buffer.byteLength(bytes),
  format: 'tar.gz',
});

/** PUTs `bytes` where an upload answer (sandbox, data or pilot log) says. */
export async function put(answer: Record<string, unknown>, bytes: string): Promise<void> {
  if (typeof answer.url !== 'string') throw new Error(`no upload URL in ${JSON.stringify(answer)}`);
  const response = await fetch(answer.url, {
    method: 'PUT',
    headers: answer.headers as Record<string, string>,
    body: bytes,
  });
  if (response.status !== 200)
    throw new Error(`the upload failed: ${response.status} ${await response.text()}`);
}
