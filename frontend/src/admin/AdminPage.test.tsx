import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import { AuthProvider } from '../auth/AuthContext';
import { AdminPage } from './AdminPage';

const users = [
  { id: 1, username: 'admin', role: 'admin' as const, created_at: '2026-01-01T00:00:00Z', agent_count: 0 },
  { id: 2, username: 'bob', role: 'user' as const, created_at: '2026-01-02T00:00:00Z', agent_count: 2 },
];

function renderAdmin() {
  return render(
    <MemoryRouter>
      <AuthProvider>
        <AdminPage />
      </AuthProvider>
    </MemoryRouter>,
  );
}

describe('AdminPage', () => {
  beforeEach(() => {
    vi.spyOn(api, 'getSmtp').mockResolvedValue(null);
  });

  it('lists users with agent counts and validates a new user before sending', async () => {
    vi.spyOn(api, 'listUsers').mockResolvedValue(users);
    const create = vi.spyOn(api, 'createUser').mockResolvedValue(users[1]);
    renderAdmin();
    expect(await screen.findByText(/2 agents/)).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText('New username'), 'Bad Name');
    await userEvent.type(screen.getByLabelText('Initial password'), 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(screen.getByText(/lowercase letters/)).toBeInTheDocument();
    expect(screen.getByText('At least 8 characters.')).toBeInTheDocument();
    expect(create).not.toHaveBeenCalled();

    await userEvent.clear(screen.getByLabelText('New username'));
    await userEvent.type(screen.getByLabelText('New username'), 'carol');
    await userEvent.clear(screen.getByLabelText('Initial password'));
    await userEvent.type(screen.getByLabelText('Initial password'), 'long enough');
    await userEvent.click(screen.getByRole('button', { name: 'Create user' }));
    expect(create).toHaveBeenCalledWith({ username: 'carol', password: 'long enough', role: 'user' });
    expect(await screen.findByText(/Created bob/)).toBeInTheDocument();
  });

  it('says what a deletion takes with it before deleting', async () => {
    vi.spyOn(api, 'listUsers').mockResolvedValue(users);
    const remove = vi.spyOn(api, 'deleteUser').mockRejectedValueOnce(new Error('The server had a problem (HTTP 500). Try again shortly.'));
    renderAdmin();
    await userEvent.click(await screen.findByRole('button', { name: 'Delete bob' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Delete bob' });
    expect(dialog).toHaveTextContent('2 agents with all their projects');
    expect(dialog).toHaveTextContent('API keys');
    expect(dialog).toHaveTextContent('workspace');
    expect(remove).not.toHaveBeenCalled();

    await userEvent.click(within(dialog).getByRole('button', { name: 'Yes, delete bob' }));
    expect(remove).toHaveBeenCalledWith(2);
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('HTTP 500');
  });
});
