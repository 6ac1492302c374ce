/** Loading the CWL fixtures and collecting the problems a validation reports. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { type CwlIssue, CwlValidationError } from '#shared/cwl/index.ts';

export function fixture(name: string): Record<string, unknown> {
  return parse(readFileSync(new URL(`../../fixtures/cwl/${name}`, import.meta.url), 'utf8'));
}

/** The issues of the CwlValidationError that `run` throws; fails the test if it throws nothing. */
export function issuesOf(run: () => unknown): CwlIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof CwlValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a CwlValidationError, but validation passed');
}

export const messageAt = (issues: readonly CwlIssue[], path: string): string | undefined =>
  issues.find((issue) => issue.path === path)?.message;
