import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Project, ProjectStatus } from '../types';
import { StatusBadge } from './StatusBadge';
import { activeStep, allowedActions, sortByAttention } from './status';

const project = (id: number, status: ProjectStatus, updated_at = '2026-01-01T00:00:00Z'): Project => ({
  id,
  agent_id: 1,
  name: `p${id}`,
  slug: `p${id}`,
  description: '',
  architecture: '',
  implementation_plan: [
    { title: 'Scaffold', details: '', status: 'done' },
    { title: 'Write the parser', details: '', status: 'running' },
  ],
  status,
  current_step: 1,
  question: null,
  human_control: false,
  controller_running: false,
  tmux_session: null,
  workspace_path: null,
  cost: { prompt_tokens: 0, completion_tokens: 0, usd: 0 },
  created_at: updated_at,
  updated_at,
});

describe('sortByAttention', () => {
  it('puts projects that need help first and completed ones last', () => {
    const sorted = sortByAttention([
      project(1, 'completed'),
      project(2, 'running'),
      project(3, 'needs_help'),
      project(4, 'paused'),
      project(5, 'failed'),
      project(6, 'created'),
      project(7, 'planning'),
    ]);
    expect(sorted.map((p) => p.status)).toEqual(['needs_help', 'failed', 'running', 'planning', 'paused', 'created', 'completed']);
  });

  it('orders the newest first within a status and leaves the input alone', () => {
    const input = [project(1, 'running', '2026-01-01T00:00:00Z'), project(2, 'running', '2026-02-01T00:00:00Z')];
    expect(sortByAttention(input).map((p) => p.id)).toEqual([2, 1]);
    expect(input.map((p) => p.id)).toEqual([1, 2]);
  });
});

describe('project status helpers', () => {
  it('names the active step', () => {
    expect(activeStep(project(1, 'running'))).toBe('Step 2 of 2: Write the parser');
    expect(activeStep({ ...project(1, 'running'), current_step: null })).toBeNull();
    expect(activeStep({ ...project(1, 'running'), current_step: 9 })).toBeNull();
  });

  it('offers only the actions the state allows', () => {
    expect(allowedActions('created', false)).toEqual(['start']);
    expect(allowedActions('running', true)).not.toContain('start');
    expect(allowedActions('completed', false)).toEqual(['restart']);
    expect(allowedActions('paused', true)).toEqual(['resume', 'stop', 'restart']);
    // Stopped: paused with no controller, so there is nothing to stop.
    expect(allowedActions('paused', false)).toEqual(['resume', 'restart']);
  });

  it('renders a badge in words', () => {
    render(<StatusBadge status="needs_help" />);
    expect(screen.getByText('Needs help')).toBeInTheDocument();
    render(<StatusBadge status="paused" stopped />);
    expect(screen.getByText('Stopped')).toBeInTheDocument();
  });
});
