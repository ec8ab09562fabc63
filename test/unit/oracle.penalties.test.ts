import { describe, expect, it } from 'vitest';
import { CLEAN_RECORD, MAX_CONSECUTIVE_FAILURES, afterFailure, afterSuccess, isExcluded } from '../../src/oracle/penalties.js';

const W = 600_000;

describe('penalty arithmetic', () => {
  it('excludes for W, 2W, 4W and bans on the fourth consecutive failure', () => {
    let t = 1_000_000;
    let s = afterFailure(CLEAN_RECORD, t, W);
    expect(s).toEqual({ consecutiveFailures: 1, excludedUntil: t + W, banned: false });
    expect(isExcluded(s, t + W - 1)).toBe(true);
    expect(isExcluded(s, t + W)).toBe(false);
    t += W;
    s = afterFailure(s, t, W);
    expect(s.excludedUntil).toBe(t + 2 * W);
    t += 2 * W;
    s = afterFailure(s, t, W);
    expect(s.excludedUntil).toBe(t + 4 * W);
    expect(s.banned).toBe(false);
    expect(MAX_CONSECUTIVE_FAILURES).toBe(3);
    s = afterFailure(s, t + 4 * W, W);
    expect(s).toMatchObject({ consecutiveFailures: 4, banned: true });
    expect(isExcluded(s, Number.MAX_SAFE_INTEGER)).toBe(true);
    // A ban is for good: neither success nor time lifts it.
    expect(afterSuccess(s)).toBe(s);
    expect(afterFailure(s, t, W)).toBe(s);
  });

  it('resets the count on success, so the next failure is a first one again', () => {
    let s = afterFailure(afterFailure(CLEAN_RECORD, 0, W), W, W);
    expect(s.consecutiveFailures).toBe(2);
    s = afterSuccess(s);
    expect(s.consecutiveFailures).toBe(0);
    s = afterFailure(s, 10 * W, W);
    expect(s).toEqual({ consecutiveFailures: 1, excludedUntil: 11 * W, banned: false });
  });
});
