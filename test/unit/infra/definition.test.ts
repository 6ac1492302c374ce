import { describe, expect, it } from 'vitest';
import { checkDefinition, type ResourceDefinition, resourceDefinition } from '#infra/definition.ts';
import type { FunctionDefinition } from '#shared/resources.ts';

const withFunction = (name: string, fn: Partial<FunctionDefinition>): ResourceDefinition => ({
  ...resourceDefinition,
  functions: {
    ...resourceDefinition.functions,
    [name]: {
      description: 'synthetic',
      entry: 'functions/health.ts',
      timeoutSeconds: 10,
      memoryMb: 256,
      tables: {},
      queues: {},
      routes: [],
      ...fn,
    },
  },
});

describe('resource definition check', () => {
  it('accepts the shipped definition', () => {
    expect(() => checkDefinition(resourceDefinition)).not.toThrow();
  });

  it('refuses a queue consumed without "consumes", and "consumes" without consume access', () => {
    expect(() => checkDefinition(withFunction('a', { queues: { jobPath: 'consume' } }))).toThrow(
      /function a: "consumes" must name/,
    );
    const consumes = { queue: 'jobPath', batchSize: 10, maxConcurrency: 2 } as const;
    expect(() => checkDefinition(withFunction('b', { queues: { jobPath: 'send' }, consumes }))).toThrow(
      /function b: "consumes" must name/,
    );
  });

  it('refuses a route served twice, a malformed route key, and a public route it does not serve', () => {
    const health = resourceDefinition.functions.health?.routes[0] ?? '';
    expect(() => checkDefinition(withFunction('twice', { routes: [health] }))).toThrow(
      /already served by health/,
    );
    expect(() => checkDefinition(withFunction('bad', { routes: ['/api/x'] }))).toThrow(/is not a route key/);
    expect(() =>
      checkDefinition(withFunction('open', { routes: ['GET /api/x'], publicRoutes: ['GET /api/y'] })),
    ).toThrow(/public route "GET \/api\/y" is not one of its routes/);
  });

  it('refuses a schedule of a function that does not exist', () => {
    const definition = {
      ...resourceDefinition,
      schedules: { ghost: { description: 'x', function: 'nobody', everySeconds: 60 } },
    };
    expect(() => checkDefinition(definition)).toThrow(/schedule ghost: function "nobody" is not defined/);
  });
});
