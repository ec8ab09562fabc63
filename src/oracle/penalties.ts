/**
 * The network's penalty rules (DESIGN §7), as pure arithmetic over a
 * prover's record so they can be tested with any clock:
 * the n-th consecutive failure excludes the prover for W·2^(n-1);
 * more than MAX_CONSECUTIVE_FAILURES bans the name for good;
 * a success resets the count (an exclusion already running stays).
 */
export const MAX_CONSECUTIVE_FAILURES = 3;

export interface PenaltyState {
  consecutiveFailures: number;
  /** Epoch ms; null when never excluded. */
  excludedUntil: number | null;
  banned: boolean;
}

export const CLEAN_RECORD: PenaltyState = Object.freeze({ consecutiveFailures: 0, excludedUntil: null, banned: false });

export function afterFailure(state: PenaltyState, now: number, windowMs: number): PenaltyState {
  if (state.banned) return state;
  const n = state.consecutiveFailures + 1;
  if (n > MAX_CONSECUTIVE_FAILURES) return { consecutiveFailures: n, excludedUntil: null, banned: true };
  return { consecutiveFailures: n, excludedUntil: now + windowMs * 2 ** (n - 1), banned: false };
}

export function afterSuccess(state: PenaltyState): PenaltyState {
  return state.banned ? state : { ...state, consecutiveFailures: 0 };
}

/** Banned, or inside an exclusion window. */
export function isExcluded(state: PenaltyState, now: number): boolean {
  return state.banned || (state.excludedUntil !== null && now < state.excludedUntil);
}
