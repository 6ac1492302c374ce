/**
 * Reading the configuration document. Parsed once at start-up; every error is reported with its
 * path so `muon config validate` can list them all.
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigurationError } from '#shared/errors.ts';
import { configSchema, type MuonConfig } from './schema.ts';

export interface ConfigIssue {
  path: string;
  message: string;
}

export type ConfigResult = { ok: true; config: MuonConfig } | { ok: false; issues: ConfigIssue[] };

export function validateConfig(value: unknown): ConfigResult {
  const parsed = configSchema.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, issues: parsed.error.issues.map(toIssue) };
}

export function parseConfigText(text: string): ConfigResult {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      issues: document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '(document)',
        message: error.message.split('\n')[0] ?? error.message,
      })),
    };
  }
  return validateConfig(document.toJS() ?? {});
}

export function readConfigFile(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, issues: [{ path, message: `cannot read the file: ${(error as Error).message}` }] };
  }
  return parseConfigText(text);
}

/** Reads and validates, or throws a ConfigurationError listing every problem. */
export function loadConfigFile(path: string): MuonConfig {
  const result = readConfigFile(path);
  if (result.ok) return result.config;
  throw new ConfigurationError(`The configuration ${path} is invalid:\n${formatIssues(result.issues)}`);
}

export const formatIssues = (issues: readonly ConfigIssue[]): string =>
  issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n');

function toIssue(issue: z.core.$ZodIssue): ConfigIssue {
  return {
    path: issue.path.length === 0 ? '(document)' : issue.path.map(String).join('.'),
    message: issue.message,
  };
}
