import { render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it, vi } from 'vitest';
import { AgentsProvider } from '../agents/AgentsContext';
import { api } from '../api';
import type { Agent, Project, ProjectStatus } from '../types';
import { DashboardPage } from './DashboardPage';

const agent = (id: number, name: string) => ({ id, name, model: 'gpt-4o-mini' }) as Agent;
const project = (id: number, agent_id: number, status: ProjectStatus, question: string | null = null) =>
  ({
    id,
    agent_id,
    name: `Project ${id}`,
    status,
    question,
    current_step: 0,
    implementation_plan: [{ title: 'Set up', details: '', status: 'running' }],
    updated_at: '2026-01-01T00:00:00Z',
  }) as Project;

describe('DashboardPage', () => {
  it('shows what needs help first, with its question, and every agent with its projects', async () => {
    vi.spyOn(api, 'listAgents').mockResolvedValue([agent(1, 'Alpha'), agent(2, 'Beta')]);
    vi.spyOn(api, 'listProjects').mockResolvedValue([
      project(10, 1, 'completed'),
      project(11, 1, 'running'),
      project(12, 2, 'needs_help', 'Which port should it use?'),
    ]);
    render(
      <MemoryRouter>
        <AgentsProvider>
          <DashboardPage />
        </AgentsProvider>
      </MemoryRouter>,
    );
    const help = await screen.findByRole('heading', { name: 'Needs your help (1)' });
    const helpCard = help.closest('section')!;
    expect(within(helpCard).getByText('Asks: Which port should it use?')).toBeInTheDocument();

    const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent);
    // Beta holds the project that needs help, so it comes before Alpha.
    expect(headings).toEqual(['Needs your help (1)', 'Beta', 'Alpha']);
    const alpha = screen.getByRole('heading', { name: 'Alpha' }).closest('section')!;
    const names = within(alpha).getAllByRole('link', { name: /^Project/ }).map((a) => a.textContent);
    expect(names[0]).toMatch(/Project 11.*Running/);
    expect(names[1]).toMatch(/Project 10.*Completed/);
    expect(within(alpha).getByText('Step 1 of 1: Set up')).toBeInTheDocument();
  });

  it('shows an empty state that leads to creating an agent', async () => {
    vi.spyOn(api, 'listAgents').mockResolvedValue([]);
    vi.spyOn(api, 'listProjects').mockResolvedValue([]);
    render(
      <MemoryRouter>
        <AgentsProvider>
          <DashboardPage />
        </AgentsProvider>
      </MemoryRouter>,
    );
    expect(await screen.findByRole('link', { name: 'Create your first agent' })).toHaveAttribute('href', '/agents/new');
  });
});
