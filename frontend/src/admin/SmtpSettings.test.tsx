import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { SmtpSettings } from './SmtpSettings';

const stored = {
  host: 'smtp.example.org',
  port: 587,
  security: 'starttls' as const,
  username: 'mailer',
  sender: 'AutoCode <autocode@example.org>',
  password_set: true,
  updated_at: '',
};

describe('SmtpSettings', () => {
  it('shows the stored server without its password and keeps the password when left empty', async () => {
    vi.spyOn(api, 'getSmtp').mockResolvedValue(stored);
    const save = vi.spyOn(api, 'setSmtp').mockResolvedValue(undefined);
    render(<SmtpSettings />);
    expect(await screen.findByDisplayValue('smtp.example.org')).toBeInTheDocument();
    expect(screen.getByText('Stored encrypted; leave empty to keep it')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Port'), { target: { value: '465' } });
    fireEvent.change(screen.getByLabelText('Security'), { target: { value: 'tls' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save e-mail server' }));
    await waitFor(() =>
      expect(save).toHaveBeenCalledWith({
        host: 'smtp.example.org',
        port: 465,
        security: 'tls',
        username: 'mailer',
        sender: 'AutoCode <autocode@example.org>',
      }),
    );
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
  });

  it('stops e-mailing: the server is removed and the form empties', async () => {
    vi.spyOn(api, 'getSmtp')
      .mockResolvedValueOnce(stored)
      .mockResolvedValue(null);
    const remove = vi.spyOn(api, 'deleteSmtp').mockResolvedValue(undefined);
    render(<SmtpSettings />);
    fireEvent.click(await screen.findByRole('button', { name: 'Stop e-mailing' }));
    await waitFor(() => expect(remove).toHaveBeenCalled());
    await waitFor(() => expect(screen.queryByDisplayValue('smtp.example.org')).toBeNull());
    expect(screen.queryByRole('button', { name: 'Stop e-mailing' })).toBeNull();
  });
});
