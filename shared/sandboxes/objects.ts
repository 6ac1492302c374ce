/**
 * The objects in the bucket (sandboxes, and pilot logs too): whether one is there, and presigned
 * URLs to put and get one. Clients move the bytes to and from S3 themselves; the API never carries them.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** How long a presigned URL works (DiracX's `url_validity_seconds`). */
export const urlValiditySeconds = 300;

/** The header with the sha256 that S3 checks an upload's body against. */
const checksumHeader = 'x-amz-checksum-sha256';

/** The object's size, or undefined if the bucket does not hold it. */
export async function headObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ size: number } | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: head.ContentLength ?? 0 };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((error as Error).name === 'NotFound' || status === 404) return undefined;
    throw error;
  }
}

/** S3 wants the digest's bytes in base64, not its hex. */
export const base64Sha256 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/**
 * The checksum the SDK computes by default when none is given: at presign time there is no body,
 * so it would sign the CRC32 of an empty one into the URL and S3 would refuse every real upload.
 */
const defaultChecksumHeaders = new Set(['x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm']);

/**
 * A presigned PUT that S3 accepts only with this length and, when given, this sha256: both are
 * signed headers, and S3 checks the body against the checksum header (emulators skip that check).
 * Pilot logs, rewritten whole every few minutes, are signed without a checksum.
 */
export async function presignUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  size: number,
  checksumHex?: string,
): Promise<{ url: string; headers: Record<string, string> }> {
  if (checksumHex === undefined) {
    const url = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: size }),
      {
        expiresIn: urlValiditySeconds,
        // Left as headers, and unsigned, they are dropped from the URL.
        unhoistableHeaders: defaultChecksumHeaders,
        unsignableHeaders: defaultChecksumHeaders,
      },
    );
    return { url, headers: { 'content-length': String(size) } };
  }
  const checksum = base64Sha256(checksumHex);
  const url = await getSignedUrl(
    s3,
    new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: size, ChecksumSHA256: checksum }),
    // Kept as a header, not hoisted into the query string, so the upload must carry it.
    { expiresIn: urlValiditySeconds, unhoistableHeaders: new Set([checksumHeader]) },
  );
  return { url, headers: { 'content-length': String(size), [checksumHeader]: checksum } };
}

export function presignDownload(s3: S3Client, bucket: string, key: string): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: urlValiditySeconds,
  });
}
