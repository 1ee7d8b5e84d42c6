/**
 * The sign-in link Claude Code prints in a login session, read from the screen with its wrapped
 * lines joined: on a phone the terminal's text is too small to copy a long link from.
 */
export function signInLink(lines: Array<{ text: string; wrapped: boolean }>): string | null {
  const joined: string[] = [];
  for (const line of lines) {
    if (line.wrapped && joined.length > 0) joined[joined.length - 1] += line.text;
    else joined.push(line.text);
  }
  for (const text of joined) {
    const match = /https:\/\/[^\s]*(?:oauth|authorize|login)[^\s]*/.exec(text.replace(/\s+$/, ''));
    if (match) return match[0];
  }
  return null;
}
