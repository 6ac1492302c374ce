/**
 * The pilot's `PilotApi` over HTTP (docs/pilots.md, API): a bearer token on every call and, once
 * registered, the pilot credential (`X-Muon-Pilot`, `X-Muon-Pilot-Secret`). `forJob` gives a job
 * wrapper its `JobApi`: the job's payload token as the bearer and no pilot credential, so the API
 * lets that wrapper act for its one job only. Network errors, timeouts, 5xx and 429 are retried
 * with a growing, jittered wait (pilot/retry.ts); any other 4xx is an answer and is never retried,
 * except a 401 when the token can be renewed (pilot/token.ts, pilot/wrapper/payload-token.ts): the
 * call is made once more with a new token. Sandboxes and logs move through the presigned URLs the
 * API hands out (pilot/transfer.ts). A call that changes something carries one `Idempotency-Key`
 * over all its attempts, so a reschedule whose answer was lost is not done twice when re-sent.
 */
import { randomUUID } from 'node:crypto';
import type {
  DownloadSource,
  JobApi,
  JobCommand,
  MatchedJob,
  PayloadTokenGrant,
  PilotApi,
  PilotRegistration,
  UploadTarget,
} from '#pilot/api.ts';
import { requestText, type TextAnswer } from '#pilot/http-client.ts';
import { ApiCallError, defaultRetryPolicy, parseBody, type RetryPolicy, withRetries } from '#pilot/retry.ts';
import { clientCredentialsToken, fixedToken, type PilotToken, type TokenSource } from '#pilot/token.ts';
import { getFile, putBytes, putFile } from '#pilot/transfer.ts';
import { stringifyJson } from '#shared/json.ts';
import type { Logger } from '#shared/log.ts';
import type { SandboxDownloadResponse, SandboxInfo, SandboxUploadResponse } from '#shared/sandboxes/model.ts';
import { parseReference } from '#shared/sandboxes/reference.ts';

export interface HttpPilotApiOptions {
  readonly apiUrl: string;
  /** A fixed bearer token, or a client that gets (and renews) tokens from the identity provider. */
  readonly token: PilotToken;
  readonly logger?: Logger;
  readonly retry?: Partial<RetryPolicy>;
  /** Seconds one API call may take before it counts as a network failure. */
  readonly requestTimeoutSeconds?: number;
  /** Seconds one presigned transfer (sandbox, log) may take. */
  readonly transferTimeoutSeconds?: number;
}

export interface HttpPilotApi extends PilotApi {
  /** The registered pilot's reference, once `register` succeeded. */
  readonly pilotReference: string | undefined;
}

export function createHttpPilotApi(options: HttpPilotApiOptions): HttpPilotApi {
  const retry: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const requestTimeoutMs = (options.requestTimeoutSeconds ?? 60) * 1000;
  const transferTimeoutMs = (options.transferTimeoutSeconds ?? 900) * 1000;
  let credential: PilotRegistration | undefined;
  const tokens: TokenSource =
    typeof options.token === 'string'
      ? fixedToken(options.token)
      : clientCredentialsToken(options.token, { retry, logger: options.logger, timeoutMs: requestTimeoutMs });

  /** Who a call is made as: the pilot (its token and, once registered, its credential), or one job. */
  interface Caller {
    readonly tokens: TokenSource;
    readonly pilot: boolean;
    readonly name: string;
  }
  const asPilot: Caller = { tokens, pilot: true, name: 'pilot token' };

  const headers = (caller: Caller, token: string, json: boolean, key?: string): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    ...(key ? { 'idempotency-key': key } : {}),
    ...(caller.pilot && credential
      ? { 'x-muon-pilot': credential.PilotReference, 'x-muon-pilot-secret': credential.Secret }
      : {}),
    ...(json ? { 'content-type': 'application/json' } : {}),
  });

  /**
   * One API call with retries; a non-2xx answer after them is an ApiCallError. A `body` given as a
   * function is made for each attempt (its argument: how many were sent before).
   */
  const call = async <T>(caller: Caller, method: string, path: string, body?: unknown): Promise<T> => {
    let sent = 0;
    const key = method === 'GET' ? undefined : randomUUID();
    for (let renewed = false; ; renewed = true) {
      let token = '';
      try {
        return await withRetries(retry, `${method} ${path.split('?')[0]}`, options.logger, async () => {
          token = await caller.tokens.token();
          const attempt = typeof body === 'function' ? (body as (sent: number) => unknown)(sent) : body;
          sent += 1;
          return send<T>(caller, method, path, token, attempt, key);
        });
      } catch (error) {
        const refused = error instanceof ApiCallError && error.status === 401;
        if (renewed || !caller.tokens.renewable || !refused) throw error;
        options.logger?.info(`the API refused the ${caller.name}, getting a new one`, {
          call: `${method} ${path.split('?')[0]}`,
        });
        caller.tokens.refused(token);
      }
    }
  };

  /** One attempt of an API call. */
  const send = async <T>(
    caller: Caller,
    method: string,
    path: string,
    token: string,
    body?: unknown,
    key?: string,
  ): Promise<T> => {
    let response: TextAnswer;
    try {
      response = await requestText(new URL(path, options.apiUrl), {
        method,
        headers: headers(caller, token, body !== undefined, key),
        ...(body === undefined ? {} : { body: stringifyJson(body) }),
        timeoutMs: requestTimeoutMs,
      });
    } catch (error) {
      throw ApiCallError.unreachable(`${method} ${path}`, error);
    }
    const answer = parseBody(response.text);
    if (response.status < 200 || response.status >= 300) {
      throw ApiCallError.answered(`${method} ${path}`, response.status, answer);
    }
    return answer as T;
  };
  const pilotCall = <T>(method: string, path: string, body?: unknown) => call<T>(asPilot, method, path, body);

  const put = (url: string, extra: Readonly<Record<string, string>>, file: string) =>
    putFile(url, extra, file, retry, transferTimeoutMs);
  const job = (jobId: number) => `/api/jobs/${jobId}`;
  const query = (values: Record<string, string | undefined>) =>
    new URLSearchParams(
      Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ).toString();
  const reference = () => credential?.PilotReference;

  return {
    get pilotReference() {
      return reference();
    },

    async register(body) {
      credential = undefined;
      credential = await pilotCall<PilotRegistration>('POST', '/api/pilots', body);
      return credential;
    },

    async setPilotStatus(status, reason) {
      await pilotCall('PATCH', '/api/pilots/metadata', {
        PilotReference: reference(),
        Status: status,
        StatusReason: reason,
      });
    },

    async uploadPilotLog(content) {
      if (content.length === 0) return;
      const target = await pilotCall<{ url: string; headers?: Record<string, string> }>(
        'POST',
        '/api/pilots/logs',
        { PilotReference: reference(), Size: content.length },
      );
      await putBytes('PUT pilot log', target.url, target.headers ?? {}, content, {
        retry,
        timeoutMs: transferTimeoutMs,
        logger: options.logger,
      });
    },

    async requestJob(request) {
      const body = {
        ...request,
        ...(reference() && request.PilotReference === undefined ? { PilotReference: reference() } : {}),
      };
      // An attempt after one that may have reached the matcher (a timeout) is a repeat.
      const attempt = (sent: number) =>
        sent > 0 && body.RequestID !== undefined ? { ...body, Repeat: true } : body;
      const answer = await pilotCall<{ match: boolean; job?: MatchedJob }>(
        'POST',
        '/api/matcher/request',
        attempt,
      );
      return answer.match ? answer.job : undefined;
    },

    sendStatuses: (updates) => pilotCall('PATCH', '/api/jobs/status', updates),

    sendHeartbeats: (beats) => pilotCall<JobCommand[]>('PATCH', '/api/jobs/heartbeat', beats),

    async reschedule(jobIds) {
      await pilotCall('POST', '/api/jobs/reschedule', { job_ids: jobIds });
    },

    payloadToken: (jobId) => pilotCall<PayloadTokenGrant>('POST', `${job(jobId)}/token`),

    forJob: (jobId, payloadTokens) =>
      jobApi(jobId, (method, path, body) =>
        call(
          { tokens: payloadTokens, pilot: false, name: `payload token of job ${jobId}` },
          method,
          path,
          body,
        ),
      ),
  };

  /** One job's calls, all made with `jobCall` (its payload token). */
  function jobApi(
    jobId: number,
    jobCall: <T>(method: string, path: string, body?: unknown) => Promise<T>,
  ): JobApi {
    return {
      async downloadSandbox(pfn, destination) {
        const parsed = parseReference(pfn);
        if (!parsed) throw new ApiCallError(`"${pfn}" is not a sandbox reference`, 400, false);
        const { url } = await jobCall<SandboxDownloadResponse>('GET', `/api/jobs/sandbox?${query({ pfn })}`);
        const { sha256 } = await getFile(url, destination, retry, transferTimeoutMs);
        if (sha256 !== parsed.checksum) {
          throw new ApiCallError(`the downloaded sandbox does not match its checksum: ${pfn}`, 502, false);
        }
      },

      async uploadOutputSandbox(archive, sha256, size) {
        const info: SandboxInfo = { checksum_algorithm: 'sha256', checksum: sha256, size, format: 'tar.gz' };
        const answer = await jobCall<SandboxUploadResponse>('POST', `${job(jobId)}/sandbox/output`, info);
        if ('url' in answer) await put(answer.url, answer.headers, archive);
        await jobCall('PATCH', `${job(jobId)}/sandbox/output`, answer.pfn);
        return answer.pfn;
      },

      downloadData: (lfn, se) => jobCall<DownloadSource>('GET', `/api/data/download?${query({ lfn, se })}`),

      uploadTarget: (lfn, se, size) =>
        jobCall<UploadTarget>('POST', '/api/data/upload', { LFN: lfn, SE: se, Size: size, JobID: jobId }),

      async registerReplica(record) {
        await jobCall('POST', '/api/data/register', { ...record, JobID: jobId });
      },

      async putOutputs(outputs) {
        await jobCall('PUT', `${job(jobId)}/outputs`, outputs);
      },

      sendStatuses: (updates) => jobCall('PATCH', '/api/jobs/status', updates),

      async reschedule() {
        await jobCall('POST', '/api/jobs/reschedule', { job_ids: [jobId] });
      },
    };
  }
}
