/**
 * How the pilot sends its API calls (pilot/http-api.ts): node:http and node:https with one
 * keep-alive agent each, rather than `fetch`. A small call through `fetch` (undici with WHATWG
 * streams, a Request, a Response and an AbortSignal timer per call) cost 0.6 to 1.1 ms of the
 * pilot's CPU on this project's 2-core machine, and through node:http 0.2 to 0.4 ms; a trivial job
 * makes five such calls, and the pilot runs them for every slot. DIRAC's pilots speak to the
 * services the same way, through a plain HTTPS client. Presigned transfers (pilot/transfer.ts) keep
 * `fetch`, which streams files.
 *
 * The contract is the one the API client needs: any answer, whatever its status, resolves with
 * the status and the body's text; no answer (refused, reset, cut short, past `timeoutMs`, which
 * counts from the request to the body's end as an AbortSignal timeout did) rejects.
 */
import http from 'node:http';
import https from 'node:https';

export interface TextAnswer {
  readonly status: number;
  readonly text: string;
}

export interface TextRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

// One pool per pilot process: a pilot talks to one API, so its connections are reused across calls.
const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

export function requestText(url: URL, init: TextRequest): Promise<TextAnswer> {
  return new Promise((resolve, reject) => {
    const protocol = url.protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      reject(new Error(`unsupported protocol ${protocol}`));
      return;
    }
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const request = (protocol === 'https:' ? https : http).request(
      url,
      {
        method: init.method,
        agent: agents[protocol],
        headers: body ? { ...init.headers, 'content-length': String(body.length) } : init.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete) fail(new Error('the answer was cut short'));
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${init.timeoutMs} ms`)),
      init.timeoutMs,
    );
    timer.unref();
    request.on('error', fail);
    request.end(body);
  });
}
