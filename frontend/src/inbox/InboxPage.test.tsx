import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { InboxPage } from './InboxPage';

describe('InboxPage', () => {
  it('shows the question and the screen, answers it, and reloads', async () => {
    const getInbox = vi
      .spyOn(api, 'getInbox')
      .mockResolvedValueOnce({
        count: 1,
        items: [
          {
            id: 4,
            kind: 'needs_help',
            project_id: 4,
            project_name: 'Notes',
            question: 'Claude wants to run `touch a.txt`. Allow it?',
            screen: '❯ 1. Yes\n  2. No',
            since: '2026-01-01T00:00:00Z',
            url: '/projects/4',
          },
        ],
      })
      .mockResolvedValueOnce({ count: 0, items: [] });
    const answer = vi.spyOn(api, 'answerInbox').mockResolvedValue(undefined);
    render(
      <MemoryRouter>
        <InboxPage />
      </MemoryRouter>,
    );
    expect(await screen.findByText('Claude wants to run `touch a.txt`. Allow it?')).toBeInTheDocument();
    expect(screen.getByLabelText('Terminal')).toHaveTextContent('1. Yes');
    expect(screen.getByRole('link', { name: 'Notes' })).toHaveAttribute('href', '/projects/4');
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(answer).toHaveBeenCalledWith(4, 'yes'));
    expect(await screen.findByText('Nothing is waiting for you.')).toBeInTheDocument();
    expect(screen.getByText('Sent to Notes.')).toBeInTheDocument();
    expect(getInbox).toHaveBeenCalledTimes(2);
  });

  it('asks for words before sending an empty answer', async () => {
    vi.spyOn(api, 'getInbox').mockResolvedValue({
      count: 1,
      items: [{ id: 5, kind: 'needs_help', project_id: 5, project_name: 'Blog', question: 'Which colour?', screen: null, since: '', url: '/projects/5' }],
    });
    const answer = vi.spyOn(api, 'answerInbox').mockResolvedValue(undefined);
    render(
      <MemoryRouter>
        <InboxPage />
      </MemoryRouter>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Send answer' }));
    expect(await screen.findByText('Write your answer first.')).toBeInTheDocument();
    expect(answer).not.toHaveBeenCalled();
  });
});

describe('keyBytes', () => {
  it('turns the base64url VAPID key into the 65 bytes of a P-256 point', async () => {
    const { keyBytes } = await import('../settings/Notifications');
    const key = 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4';
    const bytes = keyBytes(key);
    expect(bytes.length).toBe(65);
    expect(bytes[0]).toBe(4);
    expect(bytes[64]).toBe(0x0e);
  });
});
