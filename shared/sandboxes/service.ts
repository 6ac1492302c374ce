/**
 * The sandbox store (DiracX's `logic/jobs/sandboxes.py`): registering an upload and handing out a
 * presigned PUT, presigned downloads, and the assignment of sandboxes to jobs.
 *
 * A registration is written before the upload, so a metadata item alone does not mean the bytes are
 * there: the bucket (a HEAD) is asked whenever it matters, and `uploaded` records the first time it
 * said yes.
 */
import type { Identity } from '#shared/auth/identity.ts';
import { bucketName, type Deps, tableName } from '#shared/deps.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { assertPayloadHolding } from '#shared/jobs/holding.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import {
  assertCanUpload,
  isJobOwnersSandbox,
  mayAssignToJob,
  mayListJobSandboxes,
  mayReadSandbox,
} from '#shared/sandboxes/access.ts';
import type {
  JobSandboxes,
  SandboxDownloadResponse,
  SandboxInfo,
  SandboxKind,
  SandboxRecord,
  SandboxUploadResponse,
} from '#shared/sandboxes/model.ts';
import { headObject, presignDownload, presignUpload, urlValiditySeconds } from '#shared/sandboxes/objects.ts';
import {
  formatReference,
  isOwnerSegment,
  objectKey,
  parseReference,
  referenceOf,
  type SandboxOwner,
  type SandboxReference,
  sandboxSE,
} from '#shared/sandboxes/reference.ts';
import { getSandbox, listJobAssignments } from '#shared/sandboxes/store/read-sandboxes.ts';
import {
  markAssigned,
  putAssignment,
  registerSandbox,
  touchAndMarkAssigned,
  touchSandbox,
} from '#shared/sandboxes/store/write-sandboxes.ts';

export type SandboxStoreDeps = Pick<Deps, 'aws' | 'resources' | 'config' | 'now'>;

/** A registered sandbox and, if the bucket holds it, the object's size. */
export interface LocatedSandbox {
  readonly record: SandboxRecord;
  readonly stored: { size: number } | undefined;
}

export function createSandboxStore(deps: SandboxStoreDeps) {
  const { dynamo, s3 } = deps.aws;
  // Resolved on use: the executors reach sandboxes without the jobs table, the API with it.
  const sandboxes = () => tableName(deps.resources, 'sandboxes');
  const jobs = () => tableName(deps.resources, 'jobs');
  const bucket = () => bucketName(deps.resources);
  const now = () => deps.now().toISOString();

  /** Whether the reference names this store's storage element and bucket. */
  const inThisStore = (reference: SandboxReference) =>
    reference.seName === sandboxSE && reference.bucket === bucket();

  /** The sandbox's metadata and object, touching its last access; undefined if this store lacks it. */
  async function locate(reference: SandboxReference): Promise<LocatedSandbox | undefined> {
    if (!inThisStore(reference)) return undefined;
    const [record, stored] = await Promise.all([
      getSandbox(dynamo, sandboxes(), reference.key),
      headObject(s3, bucket(), reference.key),
    ]);
    if (!record) return undefined;
    const touched = await touchSandbox(dynamo, sandboxes(), reference.key, now(), stored);
    return touched ? { record, stored } : undefined;
  }

  /** Records the assignment; the flag goes first so a half-done assignment still counts as used. */
  async function assign(reference: SandboxReference, jobId: number, kind: SandboxKind): Promise<boolean> {
    if (!(await markAssigned(dynamo, sandboxes(), reference.key))) return false;
    await recordAssignment(reference, jobId, kind);
    return true;
  }

  const recordAssignment = (reference: SandboxReference, jobId: number, kind: SandboxKind) =>
    putAssignment(dynamo, sandboxes(), {
      jobId,
      kind,
      reference: referenceOf(reference),
      key: reference.key,
      assignedAt: now(),
    });

  /** Registers `owner`'s sandbox; a presigned PUT unless the bucket holds that content already. */
  async function startUpload(owner: SandboxOwner, info: SandboxInfo): Promise<SandboxUploadResponse> {
    const { maxSandboxBytes } = deps.config.limits;
    if (info.size > maxSandboxBytes) {
      throw new BadRequestError(
        `Sandbox too big (${info.size} bytes, the limit is ${maxSandboxBytes}): put it on a storage element and use it as input data.`,
        { code: 'sandbox.too_big' },
      );
    }
    const key = objectKey(owner, info.checksum);
    const pfn = formatReference(bucket(), key);
    const stored = await headObject(s3, bucket(), key);
    await registerSandbox(
      dynamo,
      sandboxes(),
      {
        reference: pfn,
        key,
        seName: sandboxSE,
        owner,
        size: stored?.size ?? info.size,
        checksumAlgorithm: info.checksum_algorithm,
        checksum: info.checksum,
        format: info.format,
        uploaded: stored !== undefined,
      },
      now(),
    );
    if (stored) return { pfn };
    const upload = await presignUpload(s3, bucket(), key, info.size, info.checksum);
    return { pfn, url: upload.url, fields: {}, method: 'PUT', headers: upload.headers };
  }

  async function readableJob(
    identity: Identity,
    jobId: number,
    may: typeof mayAssignToJob,
  ): Promise<JobRecord> {
    const job = await getJob(dynamo, jobs(), jobId);
    // A payload token's job is checked on this read (the output routes' `payloadHolding: 'route'`).
    assertPayloadHolding(identity, jobId, job);
    if (!job || job.vo !== identity.vo)
      throw new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');
    if (!may(identity, job))
      throw new ForbiddenError(`You may not see or change the sandboxes of job ${jobId}.`);
    return job;
  }

  return {
    locate,
    assign,

    /** `POST /api/jobs/sandbox`: the reference, and a presigned PUT unless the owner has it already. */
    async initiateUpload(identity: Identity, info: SandboxInfo): Promise<SandboxUploadResponse> {
      assertCanUpload(identity);
      return startUpload(ownerOf(identity), info);
    },

    /**
     * `POST /api/jobs/{jobId}/sandbox/output`: the same, but the sandbox belongs to the job's owner,
     * who downloads it later; the job's payload token uploads it on the owner's behalf.
     */
    async initiateOutputUpload(
      identity: Identity,
      jobId: number,
      info: SandboxInfo,
    ): Promise<SandboxUploadResponse> {
      const job = await readableJob(identity, jobId, mayAssignToJob);
      return startUpload(checkedOwner({ vo: job.vo, group: job.ownerGroup, user: job.owner }), info);
    },

    /** `GET /api/jobs/sandbox?pfn=`: a presigned GET, not a redirect (S3 refuses a forwarded token). */
    async downloadUrl(identity: Identity, text: string): Promise<SandboxDownloadResponse> {
      const reference = parseOrRefuse(text);
      if (identity.jobId !== undefined) {
        // A payload token reads only the sandboxes assigned to its own job.
        const assigned = await listJobAssignments(dynamo, sandboxes(), identity.jobId);
        if (!assigned.some((assignment) => assignment.key === reference.key)) {
          throw new ForbiddenError(
            `${text} is not a sandbox of job ${identity.jobId}; a payload token reads only its job's sandboxes.`,
          );
        }
      } else if (!mayReadSandbox(identity, reference.owner)) {
        throw new ForbiddenError(
          `${text} belongs to ${describeOwner(reference.owner)}; only its owner and administrators of its VO may read it.`,
        );
      }
      const located = await locate(reference);
      if (!located) throw new NotFoundError(`No sandbox ${text} in this sandbox store.`, 'sandbox.not_found');
      if (!located.stored) {
        throw new NotFoundError(`Sandbox ${text} was registered but not uploaded.`, 'sandbox.not_uploaded');
      }
      return { url: await presignDownload(s3, bucket(), reference.key), expires_in: urlValiditySeconds };
    },

    /** `GET /api/jobs/{jobId}/sandbox`. */
    async jobSandboxes(identity: Identity, jobId: number): Promise<JobSandboxes> {
      await readableJob(identity, jobId, mayListJobSandboxes);
      const listed: JobSandboxes = { Input: [], Output: [] };
      for (const assignment of await listJobAssignments(dynamo, sandboxes(), jobId)) {
        listed[assignment.kind].push(assignment.reference);
      }
      return listed;
    },

    /** `PATCH /api/jobs/{jobId}/sandbox/output`: assigning again is a success. */
    async assignOutput(identity: Identity, jobId: number, text: string): Promise<void> {
      // The job first: a payload token that no longer works is refused whatever it sends.
      const job = await readableJob(identity, jobId, mayAssignToJob);
      const reference = parseOrRefuse(text);
      // The job wrapper uploads the output sandbox for the job's owner (initiateOutputUpload).
      if (!isJobOwnersSandbox(job, reference.owner)) {
        throw new ForbiddenError(`You may not assign ${text} to job ${jobId}.`);
      }
      // One conditional write touches the registration, records the upload and sets the flag (which
      // goes first, as in `assign`): what `locate` then `assign` do in three writes and a read.
      const stored = inThisStore(reference) ? await headObject(s3, bucket(), reference.key) : undefined;
      if (!stored || !(await touchAndMarkAssigned(dynamo, sandboxes(), reference.key, now(), stored))) {
        throw new BadRequestError(`Sandbox not found: ${text} was not uploaded to this sandbox store.`, {
          code: 'sandbox.not_found',
        });
      }
      await recordAssignment(reference, jobId, 'Output');
    },
  };
}
export type SandboxStore = ReturnType<typeof createSandboxStore>;

function parseOrRefuse(text: string): SandboxReference {
  const reference = parseReference(text);
  if (!reference) {
    throw new BadRequestError(
      `"${text.slice(0, 600)}" is not a sandbox reference (SB:SandboxSE|/S3/<bucket>/sandboxes/<vo>/<group>/<user>/sha256:<hex>.tar.gz).`,
      { code: 'sandbox.malformed_reference' },
    );
  }
  return reference;
}

const ownerOf = (identity: Identity): SandboxOwner =>
  checkedOwner({ vo: identity.vo, group: identity.group, user: identity.username });

function checkedOwner(owner: SandboxOwner): SandboxOwner {
  for (const value of Object.values(owner)) {
    if (!isOwnerSegment(value)) {
      throw new BadRequestError(
        `"${value}" cannot name a sandbox path: use letters, digits, "_", ".", "@" and "-", starting with a letter or digit.`,
        { code: 'sandbox.unnamed_owner' },
      );
    }
  }
  return owner;
}

const describeOwner = (owner: SandboxOwner) => `${owner.user} (group ${owner.group} of ${owner.vo})`;
