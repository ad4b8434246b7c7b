/**
 * Every fixed text of the protocol, as the specification and its sample sessions spell them.
 * Both ends import these; nothing else in the tree repeats them.
 */

/** Sent in clear, as the only frame, when a login is refused (E.2.b). */
export const LOGIN_REJECTED = 'Invalid username or password';
/** The acknowledgement the client encrypts after receiving the key (E.3.b) and after an inbox listing (G.2). */
export const OK = 'OK';
/** F.1 */
export const SEND_THE_EMAIL = 'Send the email';
/** H.1 */
export const REQUEST_EMAIL_INDEX = 'the server request email index';
/** Sent instead of an email when the requested index does not name one (H.3 is silent on this). */
export const invalidIndexText = (index: string, count: number): string =>
  count === 0
    ? `Invalid email index: ${index}. Your inbox is empty.`
    : `Invalid email index: ${index}. Choose a number from 1 to ${count}.`;
export const INVALID_INDEX_PREFIX = 'Invalid email index:';
/** Sent instead of an email asked for by an id the inbox has no email of (session version 2). */
export const noSuchEmailText = (answer: string): string =>
  `${INVALID_INDEX_PREFIX} ${answer}. There is no such email in your inbox.`;
/** Sent instead of a listing when the inbox holds no email (G.1 is silent on this). */
export const EMPTY_INBOX = 'Your inbox is empty.';

/** Server console lines (E.2, F.3, I.1). */
export const serverLines = {
  ready: 'The server is ready to accept connections',
  accepted: (user: string) => `Connection Accepted and Symmetric Key Generated for client: ${user}`,
  invalid: (user: string) =>
    `The received client information: ${user} is invalid (Connection Terminated).`,
  emailSent: (from: string, to: string, contentLength: number) =>
    `An email from ${from} is sent to ${to} has a content length of ${contentLength} .`,
  terminating: (user: string) => `Terminating connection with ${user}.`,
} as const;

/** Client console lines and prompts (E.3, F.2, H.2, I.2 and the sample sessions of section IV). */
export const clientLines = {
  serverPrompt: 'Enter the server IP or name: ',
  usernamePrompt: 'Enter your username: ',
  passwordPrompt: 'Enter your password: ',
  rejected: 'Invalid username or password.\nTerminating.',
  destinationsPrompt: 'Enter destinations (separated by ;): ',
  titlePrompt: 'Enter title: ',
  loadFromFilePrompt: 'Would you like to load contents from a file?(Y/N) ',
  filenamePrompt: 'Enter filename: ',
  contentsPrompt: 'Enter message contents: ',
  sent: 'The message is sent to the server.',
  indexPrompt: 'Enter the email index you wish to view: ',
  terminated: 'The connection is terminated with the server.',
} as const;
