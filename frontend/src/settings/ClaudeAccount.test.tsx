import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api';
import { checkSecret, ClaudeAccount } from './ClaudeAccount';

// xterm.js needs a real browser; the sign-in terminal itself is covered by the browser tests.
vi.mock('../terminal/TerminalView', () => ({
  TerminalView: ({ target }: { target: { kind: string } }) => <div>terminal of the {target.kind} session</div>,
}));

const KEY = 'sk-ant-api03-abcdefghij0123456789-k3Y9';
const TOKEN = 'sk-ant-oat01-abcdefghij0123456789-tok1';

describe('ClaudeAccount', () => {
  it('checks a pasted key or token against its kind', () => {
    expect(checkSecret('api_key', KEY)).toBeUndefined();
    expect(checkSecret('oauth_token', TOKEN)).toBeUndefined();
    expect(checkSecret('api_key', '')).toMatch(/Paste/);
    expect(checkSecret('api_key', 'sk-ant-api03 with space 0123')).toMatch(/spaces/);
    expect(checkSecret('api_key', TOKEN)).toMatch(/Subscription token/);
    expect(checkSecret('api_key', 'sk-proj-0123456789abcdefghij')).toMatch(/sk-ant-/);
    expect(checkSecret('oauth_token', KEY)).toMatch(/sk-ant-oat/);
  });

  it('adds an API key, shows only its last four characters, and refuses a malformed one before sending', async () => {
    vi.spyOn(api, 'getClaudeAccount')
      .mockResolvedValueOnce({ kind: null })
      .mockResolvedValue({ kind: 'api_key', hint: 'k3Y9', readable: true, updated_at: '2026-12-01T00:00:00Z' });
    const save = vi.spyOn(api, 'setClaudeAccount').mockResolvedValue({ kind: 'api_key', hint: 'k3Y9', readable: true });
    render(<ClaudeAccount />);
    expect(await screen.findByText(/Not set yet/)).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: 'API key' })).toBeChecked();

    await userEvent.type(screen.getByLabelText('Anthropic API key'), 'not-a-key-at-all-0123456');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByText('An Anthropic API key starts with sk-ant-.')).toBeInTheDocument();
    expect(save).not.toHaveBeenCalled();

    await userEvent.clear(screen.getByLabelText('Anthropic API key'));
    await userEvent.type(screen.getByLabelText('Anthropic API key'), `  ${KEY} `);
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(save).toHaveBeenCalledWith({ kind: 'api_key', value: KEY });
    expect(await screen.findByText('Using an API key ending in k3Y9.')).toBeInTheDocument();
    expect(screen.getByLabelText('Anthropic API key')).toHaveValue('');
    expect(document.body.textContent).not.toContain(KEY);
    expect(screen.getByRole('button', { name: 'Replace' })).toBeInTheDocument();
  });

  it("shows the server's reason beside the token field", async () => {
    vi.spyOn(api, 'getClaudeAccount').mockResolvedValue({ kind: null });
    vi.spyOn(api, 'setClaudeAccount').mockRejectedValue(
      new ApiError(422, 'must be the token `claude setup-token` prints, starting with sk-ant-oat', { field: 'value', reason: 'x' }),
    );
    render(<ClaudeAccount />);
    await userEvent.click(await screen.findByRole('radio', { name: 'Subscription token' }));
    expect(screen.getByText(/run `claude setup-token` on your computer/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Token from claude setup-token'), TOKEN);
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findAllByText(/starting with sk-ant-oat/)).length).toBeGreaterThan(0);
  });

  it('replaces and removes the current account after asking', async () => {
    vi.spyOn(api, 'getClaudeAccount')
      .mockResolvedValueOnce({ kind: 'oauth_token', hint: 'tok1', readable: true, updated_at: '2026-12-01T00:00:00Z' })
      .mockResolvedValue({ kind: null });
    const remove = vi.spyOn(api, 'deleteClaudeAccount').mockResolvedValue(undefined);
    render(<ClaudeAccount />);
    expect(await screen.findByText('Using a subscription token ending in tok1.')).toBeInTheDocument();
    expect(screen.getByText('Replace with')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Remove Claude Code account' }));
    const dialog = screen.getByRole('alertdialog', { name: 'Remove Claude Code account' });
    expect(remove).not.toHaveBeenCalled();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Yes, remove it' }));
    expect(remove).toHaveBeenCalled();
    expect(await screen.findByText(/Not set yet/)).toBeInTheDocument();
  });

  it('says why "Log in here" cannot start when the server cannot offer it', async () => {
    vi.spyOn(api, 'getClaudeAccount').mockResolvedValue({ kind: null });
    const start = vi
      .spyOn(api, 'startClaudeLogin')
      .mockRejectedValue(new ApiError(503, 'bubblewrap is not installed: install it with apt-get install bubblewrap'));
    render(<ClaudeAccount />);
    await userEvent.click(await screen.findByRole('radio', { name: 'Log in here' }));
    expect(screen.queryByLabelText('Anthropic API key')).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Start Claude Code login' }));
    expect(start).toHaveBeenCalled();
    expect(await screen.findByRole('alert')).toHaveTextContent('bubblewrap is not installed');
  });

  it('shows the sign-in terminal and keeps it open until Claude Code holds a login', async () => {
    vi.spyOn(api, 'getClaudeAccount').mockResolvedValue({ kind: null });
    vi.spyOn(api, 'startClaudeLogin').mockResolvedValue({ session: 'autocode-login-u3' });
    const save = vi
      .spyOn(api, 'setClaudeAccount')
      .mockRejectedValue(new ApiError(422, 'Claude Code has not saved a sign-in yet: finish /login in the terminal first'));
    const end = vi.spyOn(api, 'endClaudeLogin').mockResolvedValue(undefined);
    render(<ClaudeAccount />);
    await userEvent.click(await screen.findByRole('radio', { name: 'Log in here' }));
    await userEvent.click(screen.getByRole('button', { name: 'Start Claude Code login' }));
    expect(await screen.findByText('terminal of the login session')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'I have signed in' }));
    expect(save).toHaveBeenCalledWith({ kind: 'login' });
    expect(await screen.findByRole('alert')).toHaveTextContent('has not saved a sign-in yet');
    expect(end).not.toHaveBeenCalled();
    expect(screen.getByText('terminal of the login session')).toBeInTheDocument();
  });
});
