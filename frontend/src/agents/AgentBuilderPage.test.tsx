import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api';
import { AgentsProvider } from './AgentsContext';
import { AgentBuilderPage } from './AgentBuilderPage';

function renderBuilder() {
  vi.spyOn(api, 'listAgents').mockResolvedValue([]);
  vi.spyOn(api, 'listCliInstallations').mockResolvedValue([{ name: 'claude-2.1.330', profile: 'claude-code' }]);
  return render(
    <MemoryRouter initialEntries={['/agents/new']}>
      <AgentsProvider>
        <Routes>
          <Route path="/agents/new" element={<AgentBuilderPage />} />
          <Route path="/agents/:id" element={<p>Agent page</p>} />
        </Routes>
      </AgentsProvider>
    </MemoryRouter>,
  );
}

describe('AgentBuilderPage', () => {
  it('checks the form before sending and clears a message once its field is edited', async () => {
    const create = vi.spyOn(api, 'createAgent');
    renderBuilder();
    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Please fix the fields marked below.');
    expect(screen.getByText('Give the agent a name.')).toBeInTheDocument();
    expect(create).not.toHaveBeenCalled();
    await userEvent.type(screen.getByLabelText('Name'), 'B');
    expect(screen.queryByText('Give the agent a name.')).toBeNull();
  });

  it('sends the agent, and puts a server refusal beside the field it is about', async () => {
    const create = vi
      .spyOn(api, 'createAgent')
      .mockRejectedValueOnce(new ApiError(422, 'Invalid llm_base_url: must be an http(s) URL.', { field: 'llm_base_url', reason: 'must be an http(s) URL' }))
      .mockResolvedValueOnce({ id: 9 } as never);
    renderBuilder();
    await userEvent.type(screen.getByLabelText('Name'), 'Builder');
    await userEvent.type(screen.getByLabelText('Supervising model'), 'gpt-4o-mini');
    await userEvent.click(screen.getByRole('checkbox', { name: /wait/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));

    expect(await screen.findByText('Must be an http(s) URL.')).toBeInTheDocument();
    expect(screen.getByLabelText('LLM base URL')).toHaveAttribute('aria-invalid', 'true');
    const body = create.mock.calls[0][0];
    expect(body.name).toBe('Builder');
    expect(body.tools).not.toContain('wait');
    expect(body.tools).toHaveLength(10);

    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(await screen.findByText('Agent page')).toBeInTheDocument();
  });

  it('offers the registered installations and names auto mode, and puts an env refusal beside the env box', async () => {
    const create = vi
      .spyOn(api, 'createAgent')
      .mockRejectedValueOnce(
        new ApiError(422, 'Invalid cli.env.HOME: HOME is set by AutoCode.', { field: 'cli.env.HOME', reason: 'HOME is set by AutoCode' }),
      );
    renderBuilder();
    await userEvent.type(screen.getByLabelText('Name'), 'Builder');
    await userEvent.type(screen.getByLabelText('Supervising model'), 'gpt-4o-mini');
    const installation = screen.getByLabelText('Claude Code installation');
    await screen.findByRole('option', { name: 'claude-2.1.330' });
    await userEvent.selectOptions(installation, 'claude-2.1.330');
    await userEvent.click(screen.getByRole('checkbox', { name: /Let Claude Code judge tool calls itself \(auto mode\)/ }));
    await userEvent.type(screen.getByLabelText('CLI environment'), 'HOME=/elsewhere');
    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));

    expect(await screen.findByText('HOME is set by AutoCode.')).toBeInTheDocument();
    expect(screen.getByLabelText('CLI environment')).toHaveAttribute('aria-invalid', 'true');
    const body = create.mock.calls[0][0];
    expect(body.cli.command).toBe('claude-2.1.330');
    expect(body.cli.auto_mode).toBe(true);
  });
});
