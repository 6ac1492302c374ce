/**
 * The OpenAPI description of the data manager's routes (functions/data-manager.ts): DIRAC's
 * DataManager and FileCatalog over HTTP (docs/catalog.md). See shared/http/openapi-contract.ts.
 */
import {
  downloadSourceSchema,
  findAnswerSchema,
  listAnswerSchema,
  metadataEntrySchema,
  metadataViewSchema,
  removeAnswerSchema,
  replicasAnswerSchema,
  uploadTargetSchema,
} from '#shared/data/answers.ts';
import {
  downloadQuerySchema,
  findRequestSchema,
  listQuerySchema,
  metadataQuerySchema,
  registerRequestSchema,
  removeRequestSchema,
  replicasQuerySchema,
  setMetadataRequestSchema,
  uploadRequestSchema,
} from '#shared/data/model.ts';
import type { DataManager } from '#shared/data/service.ts';
import type { RouteDocs } from '#shared/http/openapi-contract.ts';
import { fits, ok } from '#shared/http/openapi-contract.ts';

type Answer<K extends keyof DataManager> = Awaited<ReturnType<DataManager[K]>>;
const notWritable = { status: 403, when: 'The LFN is not where the caller (or the job) may write.' };
const noFile = { status: 404, when: 'No such file (or directory) in the catalog.' };
const badLfn = { status: 400, when: 'The LFN or storage element is not one this deployment knows.' };

export const dataRouteDocs: RouteDocs = {
  'POST /api/data/upload': {
    tag: 'data',
    summary: 'Where to write a file to a storage element',
    caller: ['user', 'payload'],
    body: uploadRequestSchema,
    answers: [ok('A presigned PUT or a path.', fits<Answer<'upload'>>()(uploadTargetSchema))],
    errors: [badLfn, notWritable],
  },
  'POST /api/data/register': {
    tag: 'data',
    summary: 'Register a written replica in the file catalog',
    caller: ['user', 'payload'],
    body: registerRequestSchema,
    answers: [{ status: 204, description: 'Registered.' }],
    errors: [badLfn, notWritable, { status: 409, when: 'The file exists with another size or checksum.' }],
  },
  'GET /api/data/replicas': {
    tag: 'data',
    summary: "A file's replicas",
    caller: ['user', 'payload'],
    query: replicasQuerySchema,
    answers: [ok('Each replica.', fits<Answer<'replicas'>>()(replicasAnswerSchema))],
    errors: [noFile],
  },
  'GET /api/data/download': {
    tag: 'data',
    summary: 'Where to read a file from',
    caller: ['user', 'payload'],
    query: downloadQuerySchema,
    answers: [
      ok(
        'A presigned GET or a path, with the checksum to verify.',
        fits<Answer<'download'>>()(downloadSourceSchema),
      ),
    ],
    errors: [badLfn, noFile],
  },
  'GET /api/data/list': {
    tag: 'data',
    summary: "A directory's subdirectories and files",
    caller: ['user'],
    query: listQuerySchema,
    answers: [ok('One page, in path order.', fits<Answer<'list'>>()(listAnswerSchema))],
    errors: [{ status: 403, when: "The directory is not the caller's (an administrator may list any)." }],
  },
  'POST /api/data/metadata': {
    tag: 'data',
    summary: 'Set metadata on a file or directory',
    caller: ['user', 'payload'],
    body: setMetadataRequestSchema,
    answers: [ok('Its own metadata now.', fits<Answer<'setMetadata'>>()(metadataEntrySchema))],
    errors: [notWritable, noFile, { status: 409, when: "A value does not have its field's type." }],
  },
  'GET /api/data/metadata': {
    tag: 'data',
    summary: "A file's or directory's metadata, with what it inherits",
    caller: ['user', 'payload'],
    query: metadataQuerySchema,
    answers: [ok("Own, inherited and the fields' types.", fits<Answer<'metadata'>>()(metadataViewSchema))],
    errors: [noFile],
  },
  'POST /api/data/find': {
    tag: 'data',
    summary: 'Files whose metadata match a query',
    caller: ['user', 'payload'],
    body: findRequestSchema,
    answers: [ok('One page of LFNs.', fits<Answer<'find'>>()(findAnswerSchema))],
    errors: [{ status: 400, when: 'An unknown field or a value of the wrong type.' }],
  },
  'POST /api/data/remove': {
    tag: 'data',
    summary: 'Remove a file, or one replica of it',
    caller: ['user'],
    body: removeRequestSchema,
    answers: [ok('What was removed.', fits<Answer<'remove'>>()(removeAnswerSchema))],
    errors: [notWritable, noFile],
  },
};
