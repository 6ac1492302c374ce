import { describe, expect, it } from 'vitest';
import { ConflictError } from '#shared/errors.ts';
import { move } from '#shared/transformations/states.ts';

describe('Transformation states', () => {
  it('starts New and Stopped ones, stops running ones, cleans any but the cleaned', () => {
    expect(move('start', 'Stopped').to).toBe('Active');
    expect(move('stop', 'Active').to).toBe('Stopped');
    expect(move('stop', 'Completed').to).toBe('Stopped');
    expect(move('clean', 'Completed').to).toBe('Cleaning');
    expect(move('cleaned', 'Cleaning').to).toBe('Cleaned');
  });

  it('an extended Completed generation runs again; other states are kept', () => {
    expect(move('extend', 'Completed')).toEqual({ from: ['Completed'], to: 'Active' });
    expect(move('extend', 'Stopped')).toEqual({ from: ['Stopped'], to: 'Stopped' });
  });

  it('only an Active transformation completes, and a Completed one reopens', () => {
    expect(move('complete', 'Active').to).toBe('Completed');
    expect(move('reopen', 'Completed').to).toBe('Active');
    expect(() => move('complete', 'Stopped')).toThrow(ConflictError);
  });

  it.each([
    ['start', 'Cleaning'],
    ['stop', 'Cleaned'],
    ['clean', 'Cleaned'],
    ['extend', 'Cleaning'],
  ] as const)('refuses to %s a %s transformation, naming the states it takes', (action, state) => {
    expect(() => move(action, state)).toThrow(/cannot be .* that takes one that is/);
  });
});
