/**
 * The protocol's limits, for every end (the browser included: no Node-only imports here).
 * Section D's limits are counted in Unicode code points, as Python's len() counts a str.
 */
export const MAX_TITLE_CHARS = 100;
export const MAX_CONTENT_CHARS = 1_000_000;

/** Usernames name folders and files: kept to characters that cannot escape a folder. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_USERNAME_CHARS = 64;

/**
 * Recipients of one email. The specification sets no number; without one, one email could
 * write to every inbox and its To line could be megabytes.
 */
export const MAX_RECIPIENTS = 100;
