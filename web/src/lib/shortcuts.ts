export type ShortcutAction =
  'compose' | 'next' | 'previous' | 'open' | 'close' | 'refresh' | 'help';

export const SHORTCUTS: readonly { keys: string[]; action: ShortcutAction; label: string }[] = [
  { keys: ['c'], action: 'compose', label: 'Write a new email' },
  { keys: ['j', '↓'], action: 'next', label: 'Next email' },
  { keys: ['k', '↑'], action: 'previous', label: 'Previous email' },
  { keys: ['Enter'], action: 'open', label: 'Open the selected email' },
  { keys: ['Esc'], action: 'close', label: 'Close the email or the composer' },
  { keys: ['r'], action: 'refresh', label: 'Refresh the inbox' },
  { keys: ['?'], action: 'help', label: 'Show these shortcuts' },
];

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
  switch (input.key) {
    case 'c':
      return 'compose';
    case 'j':
      return 'next';
    case 'k':
      return 'previous';
    case 'Enter':
      return 'open';
    case 'r':
      return 'refresh';
    case '?':
      return 'help';
    default:
      return undefined;
  }
}
