import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { Channels } from './Channels';

describe('Channels', () => {
  it('saves an ntfy topic and a Telegram bot, then shows where they go but not the token', async () => {
    const list = vi
      .spyOn(api, 'listChannels')
      .mockResolvedValueOnce([])
      .mockResolvedValueOnce([{ kind: 'ntfy', target: 'https://ntfy.sh/t', token_last4: null }])
      .mockResolvedValue([
        { kind: 'ntfy', target: 'https://ntfy.sh/t', token_last4: null },
        { kind: 'telegram', target: '42', token_last4: '6789' },
      ]);
    const ntfy = vi.spyOn(api, 'setNtfy').mockResolvedValue(undefined);
    const telegram = vi.spyOn(api, 'setTelegram').mockResolvedValue(undefined);
    render(<Channels />);
    fireEvent.change(await screen.findByLabelText('ntfy topic URL'), { target: { value: ' https://ntfy.sh/t ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save ntfy' }));
    await waitFor(() => expect(ntfy).toHaveBeenCalledWith('https://ntfy.sh/t'));
    expect(await screen.findByText('ntfy: https://ntfy.sh/t')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText(/Telegram bot token/), { target: { value: '1:secret' } });
    fireEvent.change(screen.getByLabelText('Telegram chat id'), { target: { value: '42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save Telegram' }));
    await waitFor(() => expect(telegram).toHaveBeenCalledWith('1:secret', '42'));
    expect(await screen.findByText('Telegram chat: 42 · bot ••••6789')).toBeInTheDocument();
    expect(screen.queryByDisplayValue('1:secret')).toBeNull();
    expect(list).toHaveBeenCalledTimes(3);
  });

  it('saves an e-mail address and shows it', async () => {
    vi.spyOn(api, 'listChannels')
      .mockResolvedValueOnce([])
      .mockResolvedValue([{ kind: 'email', target: 'alice@example.org', token_last4: null }]);
    const email = vi.spyOn(api, 'setEmail').mockResolvedValue(undefined);
    render(<Channels />);
    fireEvent.change(await screen.findByLabelText(/E-mail address/), { target: { value: ' alice@example.org ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save e-mail' }));
    await waitFor(() => expect(email).toHaveBeenCalledWith('alice@example.org'));
    expect(await screen.findByText('E-mail: alice@example.org')).toBeInTheDocument();
  });
});
