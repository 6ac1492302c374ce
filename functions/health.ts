/** `GET /api/health`: answers while the API can serve requests. */
import { z } from 'zod';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createHttpHandler } from '#shared/http/handler.ts';
import { route } from '#shared/http/route.ts';
import { version } from '#shared/version.ts';

export const healthSchema = z.object({ status: z.literal('ok'), version: z.string(), time: z.string() });

export const createHandler = (deps: Deps) =>
  createHttpHandler(deps, {
    'GET /api/health': route({
      caller: 'public',
      handle: () => ({ status: 'ok', version, time: deps.now().toISOString() }),
    }),
  });

export const handler = lambdaEntry(createHandler);
