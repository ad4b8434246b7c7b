import { guessPasswords } from './guessing.js';
import { impersonateServer } from './impersonation.js';
import { Lab, type Protocol } from './lab.js';
import { observePatterns } from './patterns.js';
import { replayWithinSession } from './replay.js';
import type { AttackName, AttackReport } from './report.js';
import { cutAndPaste } from './splice.js';
import { suppressEmail } from './suppression.js';
import { tamperAtRest } from './tampering.js';

const attacks: Record<AttackName, (lab: Lab) => Promise<AttackReport>> = {
  impersonation: impersonateServer,
  replay: replayWithinSession,
  splice: cutAndPaste,
  patterns: observePatterns,
  guessing: guessPasswords,
  suppression: suppressEmail,
  tampering: tamperAtRest,
};

/** Runs one attack in a lab of its own (fresh keys, a fresh server), then cleans up. */
export async function runAttack(name: AttackName, protocol: Protocol): Promise<AttackReport> {
  const lab = await Lab.start(protocol);
  try {
    return await attacks[name](lab);
  } finally {
    await lab.stop();
  }
}
