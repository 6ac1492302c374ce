/**
 * The building blocks of schema.ts: closed CWL objects that still let prefixed extension fields
 * through, and the scalar shapes CWL uses everywhere.
 */
import { z } from 'zod';
import { didYouMean } from './errors.ts';
import { isRecord } from './types.ts';

// Typed as the closed object: extension fields survive parsing but are not part of the model.
export function cwlObject<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape, z.core.$strip> {
  const known = Object.keys(shape);
  return z.looseObject(shape).superRefine(
    (value, ctx) => {
      for (const key of Object.keys(value)) {
        if (key in shape || key.includes(':')) continue;
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown field${didYouMean(key, known)}` });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  ) as unknown as z.ZodObject<Shape, z.core.$strip>;
}

/** A literal, or a `$(...)`/`${...}` expression evaluated at run time. */
export const expression = z.string();
export const text = z.union([z.string(), z.array(z.string())]);
export const intOrExpression = z.union([z.int(), expression]);
export const boolOrExpression = z.union([z.boolean(), expression]);
export const loadListing = z.enum(['no_listing', 'shallow_listing', 'deep_listing']);
