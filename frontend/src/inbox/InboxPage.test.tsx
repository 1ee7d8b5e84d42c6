import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import type { SocketLike } from '../reconnect';
import type { Inbox, InboxItem } from '../types';
import { InboxProvider } from './InboxContext';
import { InboxPage } from './InboxPage';

const permission: InboxItem = {
  id: 4,
  kind: 'needs_help',
  project_id: 4,
  project_name: 'Notes',
  question: 'Claude wants to run Bash `touch a.txt`. Allow it?',
  permission: 'Bash `touch a.txt`',
  options: ['allow', 'deny'],
  screen: '❯ 1. Yes\n  2. No',
  since: '2026-01-01T00:00:00Z',
  url: '/projects/4',
};

const question: InboxItem = {
  ...permission,
  id: 5,
  project_id: 5,
  project_name: 'Blog',
  question: 'Which colour?',
  permission: null,
  options: [],
  screen: null,
  url: '/projects/5',
};

const stalled: InboxItem = {
  id: 6,
  kind: 'stalled',
  project_id: 6,
  project_name: 'Shop',
  question: 'No progress for 5 minutes, so Claude was interrupted. Tell Claude how to go on, or restart it.',
  permission: null,
  options: ['restart'],
  screen: '✻ Clauding… (312s)\n  ⎿  Interrupted',
  since: '2026-01-01T00:05:00Z',
  url: '/projects/6',
};

/** A socket the test drives: `push` delivers a server message. */
function fakeSocket() {
  const socket = {
    binaryType: 'blob' as BinaryType,
    readyState: 1,
    onopen: null,
    onmessage: null as ((e: MessageEvent) => void) | null,
    onclose: null,
    onerror: null,
    send: vi.fn(),
    close: vi.fn(),
  };
  const push = (inbox: Inbox) =>
    act(() => socket.onmessage?.(new MessageEvent('message', { data: JSON.stringify({ type: 'inbox', ...inbox }) })));
  return { socket: socket as unknown as SocketLike, push };
}

const never = () => new Promise<SocketLike>(() => undefined);

function renderAt(path: string, connect = never) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <InboxProvider connect={connect}>
        <Routes>
          <Route path="/inbox" element={<InboxPage />} />
          <Route path="/inbox/:id" element={<InboxPage />} />
        </Routes>
      </InboxProvider>
    </MemoryRouter>,
  );
}

describe('InboxPage', () => {
  it('shows the command and the screen, approves it with the option, and takes it off at once', async () => {
    const getInbox = vi
      .spyOn(api, 'getInbox')
      .mockResolvedValueOnce({ count: 1, items: [permission] })
      .mockResolvedValueOnce({ count: 1, items: [permission] });
    const answer = vi.spyOn(api, 'answerInbox').mockResolvedValue(undefined);
    renderAt('/inbox');
    expect(await screen.findByText('Bash `touch a.txt`')).toBeInTheDocument();
    expect(screen.getByLabelText('Terminal')).toHaveTextContent('1. Yes');
    expect(screen.getByRole('link', { name: 'Notes' })).toHaveAttribute('href', '/projects/4');
    fireEvent.click(screen.getByRole('button', { name: 'Approve' }));
    await waitFor(() => expect(answer).toHaveBeenCalledWith(4, { option: 'allow' }));
    expect(await screen.findByText('Nothing is waiting for you.')).toBeInTheDocument();
    expect(screen.getByText('Sent to Notes.')).toBeInTheDocument();
    // The item left without another read: the server still listed it.
    expect(getInbox).toHaveBeenCalledTimes(1);
  });

  it('answers a question in words, and asks for words before sending an empty answer', async () => {
    vi.spyOn(api, 'getInbox').mockResolvedValue({ count: 1, items: [question] });
    const answer = vi.spyOn(api, 'answerInbox').mockResolvedValue(undefined);
    renderAt('/inbox');
    fireEvent.click(await screen.findByRole('button', { name: 'Send answer' }));
    expect(await screen.findByText('Write your answer first.')).toBeInTheDocument();
    expect(answer).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Approve' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Yes' }));
    await waitFor(() => expect(answer).toHaveBeenCalledWith(5, { text: 'yes' }));
  });

  it('shows a stalled project with its screen, and sends it words or restarts Claude', async () => {
    vi.spyOn(api, 'getInbox').mockResolvedValue({ count: 2, items: [stalled, { ...stalled, id: 7, project_id: 7, project_name: 'Wiki' }] });
    const answer = vi.spyOn(api, 'answerInbox').mockResolvedValue(undefined);
    renderAt('/inbox');
    const cards = await screen.findAllByTestId('inbox-item');
    expect(cards).toHaveLength(2);
    const shop = within(cards[0]);
    expect(shop.getByText(/No progress for 5 minutes/)).toBeInTheDocument();
    expect(shop.getByLabelText('Terminal')).toHaveTextContent('Interrupted');
    // Neither a permission's buttons nor a question's Yes / No.
    expect(shop.queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(shop.queryByRole('button', { name: 'Yes' })).toBeNull();
    fireEvent.change(shop.getByLabelText('Your message to Claude in Shop'), { target: { value: '  Skip the slow test  ' } });
    fireEvent.click(shop.getByRole('button', { name: 'Send to Claude' }));
    await waitFor(() => expect(answer).toHaveBeenCalledWith(6, { text: 'Skip the slow test' }));
    await waitFor(() => expect(screen.getAllByTestId('inbox-item')).toHaveLength(1));
    expect(screen.getByText('Sent to Shop.')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Restart Claude' }));
    await waitFor(() => expect(answer).toHaveBeenCalledWith(7, { option: 'restart' }));
    expect(await screen.findByText('Nothing is waiting for you.')).toBeInTheDocument();
  });

  it('keeps a stalled item hidden while its minutes tick, and shows a new stall again', async () => {
    vi.spyOn(api, 'getInbox').mockReturnValue(new Promise(() => undefined));
    vi.spyOn(api, 'answerInbox').mockResolvedValue(undefined);
    const { socket, push } = fakeSocket();
    renderAt('/inbox', async () => socket);
    await waitFor(() => expect(socket.onmessage).not.toBeNull());
    push({ count: 1, items: [stalled] });
    fireEvent.click(await screen.findByRole('button', { name: 'Restart Claude' }));
    expect(await screen.findByText('Nothing is waiting for you.')).toBeInTheDocument();
    push({ count: 1, items: [{ ...stalled, question: 'No progress for 6 minutes, so Claude was interrupted.' }] });
    expect(screen.getByText('Nothing is waiting for you.')).toBeInTheDocument();
    push({ count: 1, items: [{ ...stalled, since: '2026-01-01T01:00:00Z' }] });
    expect(await screen.findByRole('button', { name: 'Restart Claude' })).toBeInTheDocument();
  });

  it('follows the live stream: an item answered elsewhere disappears, and the badge follows', async () => {
    vi.spyOn(api, 'getInbox').mockReturnValue(new Promise(() => undefined));
    const setAppBadge = vi.fn().mockResolvedValue(undefined);
    const clearAppBadge = vi.fn().mockResolvedValue(undefined);
    Object.assign(navigator, { setAppBadge, clearAppBadge });
    const { socket, push } = fakeSocket();
    renderAt('/inbox/5', async () => socket);
    await waitFor(() => expect(socket.onmessage).not.toBeNull());
    push({ count: 2, items: [permission, question] });
    expect(await screen.findByText('Which colour?')).toBeInTheDocument();
    expect(document.getElementById('inbox-item-5')?.className).toContain('ring');
    await waitFor(() => expect(setAppBadge).toHaveBeenCalledWith(2));
    push({ count: 1, items: [permission] });
    await waitFor(() => expect(screen.queryByText('Which colour?')).toBeNull());
    expect(screen.getByText('That question was already answered.')).toBeInTheDocument();
    push({ count: 0, items: [] });
    await waitFor(() => expect(clearAppBadge).toHaveBeenCalled());
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
