/**
 * Pilot logs in the bucket (DIRAC's pilot output, DiracX's pilot logs): the pilot overwrites one
 * object, `pilot-logs/<vo>/<sha256 of its reference>.log`, with its whole log every few minutes
 * and when it ends, through a presigned PUT; readers get a presigned GET. The bucket's lifecycle
 * expires logs after 30 days. The reference is hashed because it may hold any characters.
 */
import { z } from 'zod';
import type { Identity } from '#shared/auth/identity.ts';
import { bucketName, type Deps, tableName } from '#shared/deps.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '#shared/errors.ts';
import { isThePilot } from '#shared/pilots/access.ts';
import { sha256Hex } from '#shared/pilots/binding.ts';
import { setPilotLogKey } from '#shared/pilots/records.ts';
import type { PilotRegistry } from '#shared/pilots/registry.ts';
import { headObject, presignDownload, presignUpload, urlValiditySeconds } from '#shared/sandboxes/objects.ts';

/** The pilot uploads at most the last 50 MiB of its log. */
const maxLogBytes = 50 * 1024 * 1024;

/** `POST /api/pilots/logs`. */
export const logUploadSchema = z.strictObject({
  PilotReference: z.string().min(1).max(256),
  Size: z.number().int().nonnegative(),
});
export type LogUpload = z.infer<typeof logUploadSchema>;

const pilotLogKey = (vo: string, reference: string) => `pilot-logs/${vo}/${sha256Hex(reference)}.log`;

export function createPilotLogs(
  deps: Pick<Deps, 'aws' | 'resources' | 'now'>,
  registry: Pick<PilotRegistry, 'readable'>,
) {
  const { dynamo, s3 } = deps.aws;
  const bucket = () => bucketName(deps.resources);

  return {
    /** A presigned PUT of the pilot's own log. */
    async uploadUrl(identity: Identity, request: LogUpload) {
      const reference = request.PilotReference;
      if (!isThePilot(identity, reference))
        throw new ForbiddenError(`Only pilot ${reference} itself, with its credential, uploads its log.`);
      if (request.Size > maxLogBytes) {
        throw new BadRequestError(
          `A pilot log may be at most ${maxLogBytes} bytes (${request.Size} given): upload its last ${maxLogBytes} bytes.`,
          { code: 'pilot.log_too_big' },
        );
      }
      const key = pilotLogKey(identity.vo, reference);
      const vo = identity.vo;
      const time = deps.now().toISOString();
      if (!(await setPilotLogKey(dynamo, tableName(deps.resources, 'pilots'), { vo, reference }, key, time)))
        throw new NotFoundError(`Pilot ${reference} does not exist.`, 'pilot.not_found');
      const upload = await presignUpload(s3, bucket(), key, request.Size);
      return { url: upload.url, method: 'PUT' as const, headers: upload.headers };
    },

    /** A presigned GET of the log, for those who may read the pilot; 404 until one was uploaded. */
    async downloadUrl(identity: Identity, reference: string) {
      const pilot = await registry.readable(identity, reference);
      if (!pilot.logKey || !(await headObject(s3, bucket(), pilot.logKey)))
        throw new NotFoundError(`Pilot ${reference} has not uploaded a log.`, 'pilot.log_not_found');
      return { url: await presignDownload(s3, bucket(), pilot.logKey), expires_in: urlValiditySeconds };
    },
  };
}
