export type ShortcutAction =
  | 'compose'
  | 'next'
  | 'previous'
  | 'open'
  | 'close'
  | 'refresh'
  | 'reply'
  | 'replyAll'
  | 'forward'
  | 'hide'
  | 'delete'
  | 'markUnread'
  | 'search'
  | 'openAnnounced'
  | 'undo'
  | 'help';

/** The keyboard map, as Gmail users know it; the help dialog lists it in this order. */
export const SHORTCUTS: readonly { keys: string[]; action: ShortcutAction; label: string }[] = [
  { keys: ['c'], action: 'compose', label: 'Write a new email' },
  { keys: ['j', '↓'], action: 'next', label: 'Next email' },
  { keys: ['k', '↑'], action: 'previous', label: 'Previous email' },
  { keys: ['Enter', 'o'], action: 'open', label: 'Open the selected email' },
  { keys: ['Esc'], action: 'close', label: 'Close the email or the composer' },
  { keys: ['r'], action: 'reply', label: 'Reply' },
  { keys: ['a'], action: 'replyAll', label: 'Reply to all' },
  { keys: ['f'], action: 'forward', label: 'Forward' },
  { keys: ['e'], action: 'hide', label: 'Hide the email on this device (it stays on the server)' },
  {
    keys: ['#', 'Delete'],
    action: 'delete',
    label:
      'Move the email or the ticked ones to the Trash; in the Trash, delete for good (the enhanced protocol only)',
  },
  { keys: ['Shift', 'U'], action: 'markUnread', label: 'Mark as unread' },
  { keys: ['/'], action: 'search', label: 'Search' },
  { keys: ['u'], action: 'refresh', label: 'Check for new mail' },
  {
    keys: ['n'],
    action: 'openAnnounced',
    label: 'Open what a notification announces (an email, a delivery report)',
  },
  { keys: ['z'], action: 'undo', label: 'Undo (sending, hiding, deleting)' },
  { keys: ['?'], action: 'help', label: 'Show these shortcuts' },
];

const BY_KEY: Readonly<Record<string, ShortcutAction>> = {
  c: 'compose',
  j: 'next',
  k: 'previous',
  Enter: 'open',
  o: 'open',
  r: 'reply',
  a: 'replyAll',
  f: 'forward',
  e: 'hide',
  '#': 'delete',
  Delete: 'delete',
  U: 'markUnread',
  '/': 'search',
  u: 'refresh',
  n: 'openAnnounced',
  z: 'undo',
  '?': 'help',
};

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** The key went to a text field, where letters are typing, not commands. */
  inTextField: boolean;
}

/**
 * The page-wide command for a key press, if any. In a text field only Esc is a command;
 * with Ctrl, Cmd or Alt held nothing is (the browser's own shortcuts stay untouched).
 */
export function shortcutFor(input: KeyInput): ShortcutAction | undefined {
  if (input.ctrlKey || input.metaKey || input.altKey) return undefined;
  if (input.key === 'Escape') return 'close';
  if (input.inTextField) return undefined;
  return Object.hasOwn(BY_KEY, input.key) ? BY_KEY[input.key] : undefined;
}
