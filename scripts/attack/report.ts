import type { Protocol } from './lab.js';

export const ATTACKS = [
  'impersonation',
  'replay',
  'splice',
  'patterns',
  'guessing',
  'suppression',
  'tampering',
] as const;
export type AttackName = (typeof ATTACKS)[number];

/** What an attack achieved, for a person (lines) and for a test (the fields of each result). */
export interface AttackReport {
  attack: AttackName;
  protocol: Protocol;
  /** Whether the attacker got what it was after. */
  succeeded: boolean;
  lines: string[];
}

/** Runs a victim's step, turning a failure into the message the victim saw. */
export async function attempt<T>(step: () => Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await step() };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { error: `${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}` };
  }
}

export const quote = (text: string, max = 80): string =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}...` : text);
