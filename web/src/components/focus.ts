/** Where the keyboard goes after an email or the composer closes: the list, or the button to write. */
export function focusInbox(): void {
  requestAnimationFrame(() => {
    const target =
      document.getElementById('inbox-list') ?? document.getElementById('compose-button');
    target?.focus();
  });
}
