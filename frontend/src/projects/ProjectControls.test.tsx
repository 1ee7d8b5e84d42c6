import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { api, ApiError } from '../api';
import type { Project } from '../types';
import { ProjectControls } from './ProjectControls';

const project = { id: 4, status: 'created' } as Project;

describe('ProjectControls', () => {
  it('offers Start for a new project and shows a refusal in words', async () => {
    vi.spyOn(api, 'projectAction').mockRejectedValueOnce(new ApiError(409, 'The project is already running.'));
    const onChange = vi.fn();
    render(<ProjectControls project={project} onChange={onChange} />);
    expect(screen.queryByRole('button', { name: 'Stop' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Start' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The project is already running.');
    expect(onChange).not.toHaveBeenCalled();
  });

  it('passes the new state on after an action', async () => {
    const running = { ...project, status: 'running' } as Project;
    const action = vi.spyOn(api, 'projectAction').mockResolvedValueOnce({ ...running, status: 'paused' });
    const onChange = vi.fn();
    render(<ProjectControls project={running} onChange={onChange} />);
    await userEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(action).toHaveBeenCalledWith(4, 'pause');
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ status: 'paused' }));
  });
});
