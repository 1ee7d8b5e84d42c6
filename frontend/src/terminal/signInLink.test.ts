import { describe, expect, it } from 'vitest';
import { signInLink } from './signInLink';

describe('signInLink', () => {
  it('joins a link wrapped over several rows', () => {
    const lines = [
      { text: " Browser didn't open? Use the url below to sign in:", wrapped: false },
      { text: 'https://claude.ai/oauth/authorize?code=true&client_id=9d1c', wrapped: false },
      { text: '250a-e61b&state=xyz', wrapped: true },
      { text: '', wrapped: false },
    ];
    expect(signInLink(lines)).toBe('https://claude.ai/oauth/authorize?code=true&client_id=9d1c250a-e61b&state=xyz');
  });

  it('ignores other links', () => {
    expect(signInLink([{ text: 'https://code.claude.com/docs/en/permission-modes', wrapped: false }])).toBeNull();
  });
});
