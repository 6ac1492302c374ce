import { describe, expect, it } from 'vitest';
import { pilotSlots } from '#shared/ce/index.ts';

describe('pilot slots (DIRAC ComputingElement.available)', () => {
  const limits = { maxPilots: 10, maxWaitingPilots: 4 };

  it.each([
    { running: 0, waiting: 0, slots: 4, why: 'an empty CE fills its waiting limit first' },
    { running: 8, waiting: 0, slots: 2, why: 'the total limit binds near full' },
    { running: 3, waiting: 1, slots: 3, why: 'the waiting limit binds' },
    { running: 2, waiting: 4, slots: 0, why: 'waiting at its limit' },
    { running: 10, waiting: 0, slots: 0, why: 'total at its limit' },
    { running: 9, waiting: 6, slots: 0, why: 'over both limits: never negative' },
  ])('$running running, $waiting waiting → $slots ($why)', ({ running, waiting, slots }) => {
    expect(pilotSlots(running, waiting, limits)).toBe(slots);
  });

  it('is min(maxWaiting − waiting, maxTotal − total) with equal limits', () => {
    expect(pilotSlots(1, 1, { maxPilots: 2, maxWaitingPilots: 2 })).toBe(0);
    expect(pilotSlots(1, 0, { maxPilots: 2, maxWaitingPilots: 2 })).toBe(1);
    expect(pilotSlots(0, 0, { maxPilots: 0, maxWaitingPilots: 0 })).toBe(0);
  });
});
