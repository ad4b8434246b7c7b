/** The login throttle, counted: every admission refused, and every attempt settled. */
import type { AttemptOutcome, LoginThrottle } from '../throttle/rules.js';

export function countedThrottle(
  throttle: LoginThrottle,
  count: (outcome: AttemptOutcome | 'throttled') => void,
): LoginThrottle {
  return {
    admit: async (user, address, knownUser) => {
      const admission = await throttle.admit(user, address, knownUser);
      if (!admission.allowed) {
        count('throttled');
        return admission;
      }
      let settled = false;
      return {
        ...admission,
        settle: (outcome) => {
          // Counted once, however often a caller settles.
          if (!settled) count(outcome);
          settled = true;
          admission.settle(outcome);
        },
      };
    },
  };
}
