/**
 * The data manager (DIRAC's DataManager over its FileCatalog): where to upload a file to a storage
 * element, registering the replica once it is there, and finding, downloading and listing
 * replicas. Clients move the bytes themselves; the API hands out presigned URLs or paths.
 */
import type { Identity } from '#shared/auth/identity.ts';
import { parseQuery } from '#shared/catalog/query.ts';
import {
  catalogTable,
  findFiles,
  registerFile,
  removeFile,
  setMetadata,
  showMetadata,
} from '#shared/catalog/service.ts';
import { listChildren } from '#shared/catalog/store.ts';
import {
  assertInVo,
  assertJobMayWrite,
  assertMayList,
  assertUserMayWrite,
  productionAreaOf,
} from '#shared/data/access.ts';
import { directoryPath, lfnProblem } from '#shared/data/lfn.ts';
import {
  type DownloadSource,
  type FindRequest,
  type FindResponse,
  type ListResponse,
  listPageSize,
  type RegisterRequest,
  type RemoveResponse,
  type ReplicasResponse,
  type SetMetadataRequest,
  type UploadRequest,
  type UploadTarget,
} from '#shared/data/model.ts';
import {
  deleteStored,
  downloadSource,
  type ObjectStore,
  pfnFor,
  storageElement,
  storedSize,
  uploadTarget,
} from '#shared/data/storage.ts';
import { bucketName, type Deps, tableName } from '#shared/deps.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { listReplicas, type ReplicaRecord } from '#shared/files/catalog.ts';
import { isAdministrator, mayAccess } from '#shared/jobs/access.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import { getTransformation } from '#shared/transformations/store/transformations.ts';

export type DataManagerDeps = Pick<Deps, 'aws' | 'resources' | 'config' | 'now'>;

export function createDataManager(deps: DataManagerDeps) {
  const { dynamo } = deps.aws;
  const catalog = () => tableName(deps.resources, 'fileCatalog');
  const store: ObjectStore = { s3: deps.aws.s3, bucket: () => bucketName(deps.resources) };

  /** Writing `lfn` for a job (its payload token, owner or administrator), or on the caller's own behalf. */
  async function assertMayWrite(identity: Identity, lfn: string, jobId: number | undefined): Promise<void> {
    assertInVo(identity, lfn);
    if (jobId === undefined) {
      assertUserMayWrite(identity, lfn);
      return;
    }
    const job = await getJob(dynamo, tableName(deps.resources, 'jobs'), jobId);
    if (!job || job.vo !== identity.vo)
      throw new NotFoundError(`Job ${jobId} does not exist.`, 'job.not_found');
    if (!mayAccess(identity, job, 'report')) {
      throw new ForbiddenError(`You may not write data for job ${jobId}: it is not yours to run.`);
    }
    assertJobMayWrite(job, lfn);
    const transformationId = productionAreaOf(job.vo, lfn);
    if (transformationId === undefined) return;
    const store = { dynamo, table: tableName(deps.resources, 'transformations') };
    const owning = transformationId > 0 ? await getTransformation(store, transformationId) : undefined;
    if (
      !owning ||
      owning.vo !== job.vo ||
      owning.owner !== job.owner ||
      owning.ownerGroup !== job.ownerGroup
    ) {
      throw new ForbiddenError(
        `Job ${jobId} may not write ${lfn}: /${job.vo}/prod/<id> holds the outputs of transformation <id>, which only its owner's jobs write.`,
      );
    }
  }

  async function replicasOf(identity: Identity, lfn: string): Promise<ReplicaRecord[]> {
    assertInVo(identity, lfn);
    const replicas = (await listReplicas(dynamo, catalog(), [lfn])).get(lfn) ?? [];
    if (replicas.length === 0)
      throw new NotFoundError(`No replica of ${lfn} is registered.`, 'data.not_found');
    return replicas;
  }

  return {
    /** `POST /api/data/upload`. */
    async upload(identity: Identity, request: UploadRequest): Promise<UploadTarget> {
      const se = storageElement(deps.config, request.SE);
      await assertMayWrite(identity, request.LFN, request.JobID);
      return uploadTarget(store, se, request.LFN, request.Size);
    },

    /** `POST /api/data/register`: only the PFN the upload target named, and only once it is there. */
    async register(identity: Identity, request: RegisterRequest): Promise<void> {
      const se = storageElement(deps.config, request.SE);
      await assertMayWrite(identity, request.LFN, request.JobID);
      const pfn = pfnFor(se, request.LFN);
      if (request.PFN !== pfn) {
        throw new BadRequestError(`${request.LFN} on ${se.name} is at ${pfn}, not ${request.PFN}.`, {
          code: 'data.wrong_pfn',
        });
      }
      const stored = await storedSize(store, se, pfn);
      if (stored === undefined) {
        throw new BadRequestError(`Nothing is stored at ${pfn} on ${se.name}: upload the file first.`, {
          code: 'data.not_uploaded',
        });
      }
      if (stored !== 'unknown' && stored !== request.Size) {
        throw new BadRequestError(
          `${pfn} on ${se.name} holds ${stored} bytes, not the ${request.Size} registered.`,
          { code: 'data.size_mismatch' },
        );
      }
      const replica: ReplicaRecord = {
        lfn: request.LFN,
        se: se.name,
        pfn,
        size: request.Size,
        checksum: request.Checksum,
        registeredAt: deps.now().toISOString(),
        ...(request.JobID !== undefined ? { jobId: request.JobID } : {}),
      };
      await registerFile(deps, identity, replica, request.Metadata);
    },

    /** `POST /api/data/metadata`: where the caller may write, or anywhere in the VO for an administrator. */
    async setMetadata(identity: Identity, request: SetMetadataRequest) {
      if (!isAdministrator(identity)) await assertMayWrite(identity, request.Path, request.JobID);
      const entry = await setMetadata(deps, identity, request.Path, request.Metadata, request.Types ?? {});
      return { Path: entry.path, Kind: entry.kind, Metadata: entry.meta };
    },

    /** `GET /api/data/metadata?path=`: open to the VO, as replicas are. */
    metadata: (identity: Identity, path: string) => showMetadata(deps, identity, path),

    /** `POST /api/data/find`: DIRAC's findFilesByMetadata over the caller's VO. */
    async find(identity: Identity, request: FindRequest): Promise<FindResponse> {
      const query = typeof request.Query === 'string' ? parseQuery(request.Query) : request.Query;
      if (request.Path !== undefined) assertInVo(identity, request.Path);
      const found = await findFiles(deps, identity.vo, query, {
        ...(request.Limit !== undefined ? { limit: request.Limit } : {}),
        ...(request.Next !== undefined ? { start: request.Next } : {}),
        ...(request.Path !== undefined ? { path: request.Path } : {}),
      });
      return { LFNs: found.lfns, ...(found.next ? { next: found.next } : {}) };
    },

    /**
     * `POST /api/data/remove`: the replicas go from the catalog, and their objects from `s3`
     * storage elements (muon wrote them there); a `file` SE's copy is the client's to delete.
     */
    async remove(identity: Identity, lfn: string, seName?: string): Promise<RemoveResponse> {
      if (!isAdministrator(identity)) await assertMayWrite(identity, lfn, undefined);
      const { removed, left } = await removeFile(deps, identity, lfn, seName);
      const rows = [];
      for (const replica of removed) {
        const se = deps.config.storageElements[replica.se];
        const deleted = se ? await deleteStored(store, { name: replica.se, ...se }, replica.pfn) : false;
        rows.push({ SE: replica.se, PFN: replica.pfn, Deleted: deleted });
      }
      return { LFN: lfn, Removed: rows, FileRemoved: left === 0 };
    },

    /** `GET /api/data/replicas?lfn=`. */
    async replicas(identity: Identity, lfn: string): Promise<ReplicasResponse> {
      const replicas = await replicasOf(identity, lfn);
      return {
        LFN: lfn,
        Replicas: replicas.map((r) => ({
          SE: r.se,
          PFN: r.pfn,
          Size: r.size ?? null,
          Checksum: r.checksum ?? null,
        })),
      };
    },

    /** `GET /api/data/download?lfn=[&se=]`: the named SE's replica, else the first on a disk SE. */
    async download(identity: Identity, lfn: string, seName?: string): Promise<DownloadSource> {
      const replicas = (await replicasOf(identity, lfn)).filter((r) => r.se in deps.config.storageElements);
      const kindOf = (r: ReplicaRecord) => deps.config.storageElements[r.se]?.kind;
      const chosen =
        seName === undefined
          ? (replicas.find((r) => kindOf(r) === 'disk') ?? replicas[0])
          : replicas.find((r) => r.se === seName);
      if (!chosen) {
        const where = seName === undefined ? 'a storage element this deployment knows' : seName;
        throw new NotFoundError(`No replica of ${lfn} on ${where}.`, 'data.not_found');
      }
      const source = await downloadSource(store, storageElement(deps.config, chosen.se), chosen.pfn);
      return chosen.checksum ? { ...source, checksum: chosen.checksum } : source;
    },

    /** `GET /api/data/list?path=`: the files directly in one directory, a page at a time. */
    async list(identity: Identity, path: string, next?: string): Promise<ListResponse> {
      const directory = directoryPath(path);
      const problem = directory === '/' ? undefined : lfnProblem(directory);
      if (problem) throw new BadRequestError(`"${path}" is not an LFN directory: ${problem}.`);
      assertMayList(identity, directory);
      const page = await listChildren(
        catalogTable(deps),
        directory,
        listPageSize,
        decodeCursor(next, directory),
      );
      return {
        Directories: page.entries.filter((e) => e.kind === 'directory').map((e) => e.path),
        Files: page.entries.flatMap((e) =>
          e.kind === 'file' ? (e.ses ?? []).map((se) => ({ LFN: e.path, SE: se, Size: e.size ?? null })) : [],
        ),
        ...(page.next ? { next: encodeCursor(page.next) } : {}),
      };
    },
  };
}
export type DataManager = ReturnType<typeof createDataManager>;

const encodeCursor = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

/** The start key a `next` stands for; one from another directory, or not one at all, is refused. */
function decodeCursor(next: string | undefined, directory: string): Record<string, unknown> | undefined {
  if (next === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(next, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const { pk, sk, parent, path } = (key ?? {}) as Record<string, unknown>;
  if (typeof pk !== 'string' || typeof sk !== 'string' || typeof path !== 'string' || parent !== directory) {
    throw new BadRequestError('"next" is not a page of this listing: pass back the "next" it gave.');
  }
  return { pk, sk, parent, path };
}
