/**
 * What a client says when a sign-in is refused, in one set of words for the terminal client
 * (terminal/key-lines.ts) and the web UI (web/src/lib/errors.ts, through the gateway's codes).
 * No Node module here: the browser's bundle takes this file.
 *
 * On the classic protocol a server answers a wrong password and a login sealed to a key it does
 * not hold (the client's server_public.pem is stale) with the same "Invalid username or
 * password": a client cannot tell them apart, so it names both and says what to do for each.
 */

/** Part of every refusal made on this computer, before anything was sent. */
export const NOTHING_SENT = 'nothing was sent to the server';

/** The password typed does not unlock the user's private key here: the password is wrong. */
export const keyNotUnlocked = (username: string): string =>
  `Invalid username or password: it does not unlock ${username}'s private key on this computer (${NOTHING_SENT}).`;

/** Why a server may refuse a user whose password unlocked the key here, and what to do. */
export const refusalCauses = (username: string): string =>
  `The server may hold another key than this computer's server_public.pem (a stale bundle: ask the administrator for a new one, sealed-mail-admin keys ${username}), the password may have been changed on the server, or too many failed logins may have locked ${username} for a while.`;
