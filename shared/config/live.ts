/**
 * The live configuration: one document, deployed once as an S3 object (`s3://<bucket>/muon-config/
 * muon.json`, written by `cdk deploy` or `muon config push`), read by every function at cold start
 * and read again when it changes, and by pilots at start through `GET /api/config`. DIRAC
 * counterpart: the Configuration Service, whose servers every component reads and refreshes.
 *
 * A function checks the object at most once per `refreshMs` with a conditional GET (If-None-Match
 * on the ETag it holds), so an unchanged document costs one 304 a minute per execution
 * environment; a changed one is validated before it replaces the one in use, and a document that
 * does not validate (written by hand around `muon config push`) is logged and ignored.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError } from '#shared/errors.ts';
import { formatIssues, parseConfigText } from './load.ts';
import type { MuonConfig } from './schema.ts';

/** Where the document lives in the bucket. */
export const configObjectKey = 'muon-config/muon.json';

export interface ConfigLocation {
  readonly bucket: string;
  readonly key: string;
}

/** `s3://bucket/key` as a location; undefined for anything else (a file path). */
export function parseConfigLocation(value: string | undefined): ConfigLocation | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(value ?? '');
  return match ? { bucket: match[1] as string, key: match[2] as string } : undefined;
}

export const formatConfigLocation = (location: ConfigLocation): string =>
  `s3://${location.bucket}/${location.key}`;

/** The document as written to S3: JSON, defaults filled in, so what is read is what was validated. */
export async function writeConfigObject(
  s3: Pick<S3Client, 'send'>,
  location: ConfigLocation,
  config: MuonConfig,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: location.bucket,
      Key: location.key,
      Body: `${JSON.stringify(config, null, 2)}\n`,
      ContentType: 'application/json',
    }),
  );
}

/** The document stored at `location` now; undefined when none was ever written there. */
export async function readStoredConfig(
  s3: Pick<S3Client, 'send'>,
  location: ConfigLocation,
): Promise<MuonConfig | undefined> {
  try {
    const read = await readConfigObject(s3, location);
    return read === 'unchanged' ? undefined : read.config;
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
}

const httpStatusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** The document and its ETag; `unchanged` when it still has `etag`. Throws when it is invalid. */
export async function readConfigObject(
  s3: Pick<S3Client, 'send'>,
  location: ConfigLocation,
  etag?: string,
): Promise<{ config: MuonConfig; etag: string | undefined } | 'unchanged'> {
  let text: string;
  let tag: string | undefined;
  try {
    const answer = await s3.send(
      new GetObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        ...(etag ? { IfNoneMatch: etag } : {}),
      }),
    );
    text = (await answer.Body?.transformToString('utf8')) ?? '';
    tag = answer.ETag;
  } catch (error) {
    if (httpStatusOf(error) === 304) return 'unchanged';
    throw error;
  }
  const result = parseConfigText(text);
  if (!result.ok) {
    throw new ConfigurationError(
      `The configuration ${formatConfigLocation(location)} is invalid:\n${formatIssues(result.issues)}`,
    );
  }
  return { config: result.config, etag: tag };
}

export interface LiveConfig {
  /** The configuration in use, re-read when `refreshMs` has passed; a new object when it was replaced. */
  current(): Promise<MuonConfig>;
}

export function createLiveConfig(options: {
  readonly s3: Pick<S3Client, 'send'>;
  readonly location: ConfigLocation;
  readonly refreshMs: number;
  readonly now?: () => number;
  readonly onInvalid?: (error: Error) => void;
}): LiveConfig {
  const now = options.now ?? Date.now;
  let held: { config: MuonConfig; etag: string | undefined; checkedAt: number } | undefined;
  let pending: Promise<MuonConfig> | undefined;
  const check = async () => {
    if (!held) {
      const first = await readConfigObject(options.s3, options.location);
      if (first === 'unchanged') throw new Error('unreachable: no ETag was sent');
      held = { ...first, checkedAt: now() };
      return held.config;
    }
    const current = held;
    try {
      const read = await readConfigObject(options.s3, options.location, current.etag);
      current.checkedAt = now();
      if (read === 'unchanged' || read.etag === current.etag) return current.config;
      held = { ...read, checkedAt: now() };
      return held.config;
    } catch (error) {
      // A document that became invalid, or S3 out of reach: keep serving with the one in use.
      current.checkedAt = now();
      options.onInvalid?.(error as Error);
      return current.config;
    }
  };
  return {
    current() {
      if (held && now() - held.checkedAt < options.refreshMs) return Promise.resolve(held.config);
      pending ??= check().finally(() => {
        pending = undefined;
      });
      return pending;
    },
  };
}

/**
 * A handler rebuilt whenever the live configuration changes (what a cold start would do), built
 * with `first` until then when given. Changes are told by the document's identity, so handlers
 * sharing one LiveConfig each see every change.
 */
export function reloadingHandler<E, C, R>(
  live: LiveConfig,
  create: (config: MuonConfig) => (event: E, context: C) => Promise<R>,
  first?: (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  let built = first;
  let builtWith: MuonConfig | undefined;
  return async (event, context) => {
    const config = await live.current();
    // `first` was built from the document the caller had; the first call swaps in the live one.
    if (!built || config !== builtWith) built = create(config);
    builtWith = config;
    return built(event, context);
  };
}

/** `live`, each configuration passed through `map` (the embedded runtime's local login issuer). */
export function mapLiveConfig(live: LiveConfig, map: (config: MuonConfig) => MuonConfig): LiveConfig {
  // One mapped document per document, so its identity still tells a change.
  let last: { from: MuonConfig; to: MuonConfig } | undefined;
  return {
    current: async () => {
      const config = await live.current();
      if (last?.from !== config) last = { from: config, to: map(config) };
      return last.to;
    },
  };
}
