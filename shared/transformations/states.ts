/**
 * What moves a transformation from state to state (DIRAC's transformation statuses, reduced):
 * users start, stop, extend and clean; the agent completes, reopens and finishes cleaning.
 */
import { ConflictError } from '#shared/errors.ts';
import type { TransformationState } from '#shared/transformations/model.ts';

export type TransformationAction = 'start' | 'stop' | 'extend' | 'clean' | 'complete' | 'reopen' | 'cleaned';

const moves: Record<
  TransformationAction,
  { from: readonly TransformationState[]; to?: TransformationState }
> = {
  start: { from: ['New', 'Stopped'], to: 'Active' },
  stop: { from: ['New', 'Active', 'Completed'], to: 'Stopped' },
  /** More tasks for a generation: a Completed one runs again, the others keep their state. */
  extend: { from: ['New', 'Active', 'Stopped', 'Completed'] },
  clean: { from: ['New', 'Active', 'Stopped', 'Completed'], to: 'Cleaning' },
  /** No Unused file, no open task. */
  complete: { from: ['Active'], to: 'Completed' },
  /** A file joined a Completed transformation. */
  reopen: { from: ['Completed'], to: 'Active' },
  cleaned: { from: ['Cleaning'], to: 'Cleaned' },
};

/** The states `action` applies from, and the state it leads to from `current`. */
export function move(
  action: TransformationAction,
  current: TransformationState,
): { from: readonly TransformationState[]; to: TransformationState } {
  const { from, to } = moves[action];
  if (!from.includes(current)) {
    throw new ConflictError(
      `A transformation that is ${current} cannot be ${past[action]}; that takes one that is ${from.join(', ')}.`,
      'transformation.invalid_state',
    );
  }
  if (to !== undefined) return { from, to };
  return { from: [current], to: current === 'Completed' ? 'Active' : current };
}

const past: Record<TransformationAction, string> = {
  start: 'started',
  stop: 'stopped',
  extend: 'extended',
  clean: 'cleaned',
  complete: 'completed',
  reopen: 'reopened',
  cleaned: 'marked cleaned',
};

/** States in which the agent creates tasks and files join. */
export const creatingTasks: readonly TransformationState[] = ['New', 'Active'];
/** States in which files still join (a Completed one reopens; a Stopped one keeps them Unused). */
export const joining: readonly TransformationState[] = ['New', 'Active', 'Stopped', 'Completed'];
