/**
 * Sandbox references, as DiracX writes them: `SB:SandboxSE|/S3/<bucket>/<key>`, where the key
 * `sandboxes/<vo>/<group>/<user>/sha256:<hex>.tar.gz` names the owner and the content. The same
 * content uploaded twice by one owner is one object; two owners never share one.
 *
 * Glossary: the *reference* is what users and JDLs carry (`InputSandbox = {"SB:..."}`); the *PFN*
 * is its part after the `|` (DiracX's `SEPFN`); the *key* is the object's key in the bucket.
 */

/** The storage element name in references (DiracX's default `se_name`). */
export const sandboxSE = 'SandboxSE';
export const checksumAlgorithm = 'sha256';
export const sandboxFormat = 'tar.gz';
/** Every sandbox object lives under this prefix of the bucket. */
export const keyPrefix = 'sandboxes/';
/** DIRAC's `SEPFN` column is 512 characters; longer text is not a reference. */
export const maxReferenceLength = 512;

export interface SandboxOwner {
  readonly vo: string;
  readonly group: string;
  /** The owner's user name (`preferred_username`), a job's Owner. */
  readonly user: string;
}

export interface SandboxReference {
  readonly seName: string;
  readonly bucket: string;
  readonly key: string;
  readonly owner: SandboxOwner;
  readonly checksumAlgorithm: typeof checksumAlgorithm;
  /** Lower-case hex sha256 of the tar.gz bytes. */
  readonly checksum: string;
  readonly format: typeof sandboxFormat;
}

/** One path segment of the owner. It starts with a letter or digit, so `.` and `..` are not segments. */
const segment = '[A-Za-z0-9][A-Za-z0-9_.@-]*';
const ownerSegment = new RegExp(`^${segment}$`);

/** Like DiracX's `SANDBOX_PFN_REGEX`: the `SB:<se>|` part is optional, the rest is exact. */
export const sandboxReferenceRegex = new RegExp(
  `^(?:SB:(?<se>[A-Za-z]+)\\|)?/S3/(?<bucket>[a-z0-9.-]{3,63})/(?<key>sandboxes/(?<vo>${segment})/(?<group>${segment})/(?<user>${segment})/sha256:(?<checksum>[0-9a-f]{64})\\.tar\\.gz)$`,
);

export const isOwnerSegment = (value: string): boolean => ownerSegment.test(value);

export function objectKey(owner: SandboxOwner, checksum: string): string {
  return `${keyPrefix}${owner.vo}/${owner.group}/${owner.user}/${checksumAlgorithm}:${checksum}.${sandboxFormat}`;
}

export const pfnOf = (bucket: string, key: string): string => `/S3/${bucket}/${key}`;

export const formatReference = (bucket: string, key: string, seName = sandboxSE): string =>
  `SB:${seName}|${pfnOf(bucket, key)}`;

type ReferenceGroups = { se?: string } & Record<
  'bucket' | 'key' | 'vo' | 'group' | 'user' | 'checksum',
  string
>;

/** The parts of a reference (with or without `SB:<se>|`), or undefined if it is not one. */
export function parseReference(text: string): SandboxReference | undefined {
  if (text.length > maxReferenceLength) return undefined;
  const groups = sandboxReferenceRegex.exec(text)?.groups;
  if (!groups) return undefined;
  const { se, bucket, key, vo, group, user, checksum } = groups as ReferenceGroups;
  return {
    seName: se ?? sandboxSE,
    bucket,
    key,
    owner: { vo, group, user },
    checksumAlgorithm,
    checksum,
    format: sandboxFormat,
  };
}

export const referenceOf = (reference: SandboxReference): string =>
  formatReference(reference.bucket, reference.key, reference.seName);
