/**
 * The web monitor in the embedded runtime (DIRAC's WebAppDIRAC server): `GET /` and the bundle's
 * files on the API's own origin, so the pages call the API without CORS, as CloudFront does in the
 * cloud (infra/constructs/web.ts). `/config.json` tells the pages which OpenID provider to log in
 * with. The bundle is built in memory at the first page and kept (an installed package without
 * sources serves the one scripts/build-web.mjs wrote).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { webClientId } from '#local/oidc-provider.ts';
import { buildWebAssets, contentTypeOf, type WebAsset, webSourceDir } from '#local/web-build.ts';
import type { Logger } from '#shared/log.ts';

/** What the pages read from `/config.json`. */
export interface WebConfig {
  /** The OpenID provider's issuer; the pages read its `/.well-known/openid-configuration`. */
  readonly issuer: string;
  /** The public client (authorization code with PKCE, no secret) the provider knows the monitor as. */
  readonly clientId: string;
  readonly scope: string;
}

/** The monitor's client at the runtime's own OpenID provider (local/oidc-provider.ts). */
export const localWebConfig = (issuer: string): WebConfig => ({
  issuer,
  clientId: webClientId,
  scope: 'openid',
});

export type WebHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

/**
 * A checkout builds from its sources, so an edit shows at the next start. An installed package,
 * which has no sources, serves the monitor scripts/build-web.mjs built: dist/web, which is `../web/`
 * seen from the built CLI in dist/cli/. A folder counts only with its bundle in it.
 */
const prebuiltDir = existsSync(join(webSourceDir, 'src', 'main.ts'))
  ? undefined
  : ['../dist/web/', '../web/']
      .map((relative) => fileURLToPath(new URL(relative, import.meta.url)))
      .find((dir) => existsSync(join(dir, 'app.js')));

export function createWebMonitor(options: { config: () => WebConfig; logger: Logger }): WebHandler {
  let assets: Promise<Map<string, WebAsset>> | undefined;
  const load = () => {
    assets ??= prebuiltDir ? Promise.resolve(readPrebuilt(prebuiltDir)) : buildWebAssets();
    // A failed build is retried at the next page rather than kept.
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  };
  return async (req, res, path) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (path === '/config.json') {
      send(res, req, {
        body: Buffer.from(JSON.stringify(options.config())),
        contentType: contentTypeOf('.json'),
      });
      return true;
    }
    let files: Map<string, WebAsset>;
    try {
      files = await load();
    } catch (error) {
      options.logger.error('web monitor build failed', { error });
      res
        .writeHead(500, { 'content-type': 'text/plain' })
        .end('The web monitor could not be built; see the log.');
      return true;
    }
    const asset = files.get(path === '/' ? '/index.html' : path);
    if (!asset) return false;
    send(res, req, asset);
    return true;
  };
}

function send(res: ServerResponse, req: IncomingMessage, asset: WebAsset): void {
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    // File names carry no hash: the browser asks again each time and gets the current build.
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
}

function readPrebuilt(prebuiltDir: string): Map<string, WebAsset> {
  const files = new Map<string, WebAsset>();
  for (const name of readdirSync(prebuiltDir)) {
    files.set(`/${name}`, { body: readFileSync(join(prebuiltDir, name)), contentType: contentTypeOf(name) });
  }
  return files;
}
