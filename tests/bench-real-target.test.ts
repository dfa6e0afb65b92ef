// The real-target bench's pure helpers: the busiest minute a target saw, and the settings that lift the gate's pace.
import { expect, test } from '@playwright/test';
import fc from 'fast-check';
import { isKnownVariable } from '../config/settings';
import { busiestWindow, durationsByFile, liftedPaceEnv, reapedChildrenCpuMs } from '../tools/bench-real-target';

/** The busiest window by brute force: for every instant, how many instants fall in [it, it + window). */
function bruteForce(instants: ReadonlyArray<number>, windowMs: number): number {
  return Math.max(0, ...instants.map((start) => instants.filter((t) => t >= start && t < start + windowMs).length));
}

test.describe('busiestWindow', () => {
  test('counts the most requests in one sliding minute, a window being half-open', () => {
    expect(busiestWindow([])).toBe(0);
    expect(busiestWindow([5])).toBe(1);
    // Two instants exactly a minute apart are in two windows; a millisecond less and they share one.
    expect(busiestWindow([0, 60_000])).toBe(1);
    expect(busiestWindow([0, 59_999])).toBe(2);
    // A burst straddling a fixed-minute boundary is one sliding minute.
    expect(busiestWindow([59_000, 59_500, 60_500, 61_000, 130_000])).toBe(4);
    // Order does not matter.
    expect(busiestWindow([61_000, 59_000, 130_000, 60_500, 59_500])).toBe(4);
    expect(busiestWindow([0, 1, 2, 3], 2)).toBe(2);
  });

  test('agrees with a brute-force count on random instants and windows', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 2_000 }), (instants, windowMs) => {
        expect(busiestWindow(instants, windowMs)).toBe(bruteForce(instants, windowMs));
      }),
    );
  });

  test('refuses a window that is not a positive number', () => {
    expect(() => busiestWindow([1], 0)).toThrow(/positive/);
    expect(() => busiestWindow([1], Number.NaN)).toThrow(/positive/);
  });
});

test.describe('liftedPaceEnv', () => {
  test('lifts the per-minute budget once config/settings.ts knows it, else the per-second pace, each at a value it accepts', () => {
    expect(liftedPaceEnv(() => false)).toEqual({});
    expect(liftedPaceEnv((name) => name === 'CONTRACT_MAX_RPS')).toEqual({ CONTRACT_MAX_RPS: '1000' });
    const budget = liftedPaceEnv(() => true);
    expect(Object.keys(budget)).toEqual(['CONTRACT_MAX_REQUESTS_PER_MINUTE']);
    expect(Number(budget.CONTRACT_MAX_REQUESTS_PER_MINUTE)).toBeGreaterThanOrEqual(6_000);
    // Whatever config/settings.ts knows today: one variable it declares, at a positive number.
    const today = Object.entries(liftedPaceEnv());
    expect(today).toHaveLength(1);
    for (const [name, value] of today) {
      expect(isKnownVariable(name), name).toBe(true);
      expect(Number(value), name).toBeGreaterThan(0);
    }
  });
});

test.describe('durationsByFile', () => {
  test('sums every result of every test per spec file, nested describe blocks included', () => {
    const report = {
      suites: [
        {
          file: 'generated.spec.ts',
          specs: [{ file: 'generated.spec.ts', tests: [{ results: [{ duration: 1000 }, { duration: 500 }] }] }],
          suites: [{ file: 'generated.spec.ts', specs: [{ tests: [{ results: [{ duration: 250 }] }] }] }],
        },
        { file: 'get-customer.spec.ts', specs: [{ tests: [{ results: [{ duration: 40 }] }, { results: [] }] }] },
        { file: 'empty.spec.ts' },
      ],
    };
    expect(Object.fromEntries(durationsByFile(report))).toEqual({ 'generated.spec.ts': 1750, 'get-customer.spec.ts': 40 });
    expect(durationsByFile({}).size).toBe(0);
  });
});

test.describe('reapedChildrenCpuMs', () => {
  test('reads cutime + cstime from /proc/self/stat, a command name with spaces and parentheses included', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const stat = '4242 (node (a) b) S 1 4242 4242 0 -1 4194304 100 200 0 0 11 22 345 67 20 0 7 0\n';
    expect(reapedChildrenCpuMs(stat)).toBe((345 + 67) * 10);
    expect(reapedChildrenCpuMs('')).toBeNaN();
    expect(reapedChildrenCpuMs('garbage')).toBeNaN();
  });
});
