import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api';
import type { Commit, Project } from '../types';
import { ChangesPanel } from './ChangesPanel';

const project = { id: 4, status: 'completed', controller_running: false } as Project;

const step2: Commit = {
  sha: 'b'.repeat(40),
  step: 2,
  title: 'Create two',
  summary: 'two.txt holds the word two',
  author: 'AutoCode',
  time: '2026-12-01T05:00:00+00:00',
  files: [{ path: 'two.txt', insertions: 1, deletions: 0, binary: false }],
  insertions: 1,
  deletions: 0,
  reverted_by: null,
};
const before: Commit = { ...step2, sha: 'a'.repeat(40), step: null, title: 'Work before step 1', summary: '', files: [] };

afterEach(() => vi.restoreAllMocks());

describe('ChangesPanel', () => {
  it('lists each step with its files and shows a diff on request', async () => {
    vi.spyOn(api, 'listCommits').mockResolvedValue([step2, before]);
    const diff = vi.spyOn(api, 'commitDiff').mockResolvedValue({
      sha: step2.sha,
      truncated: false,
      files: [{ path: 'two.txt', old_path: null, binary: false, truncated: false, patch: '@@ -0,0 +1 @@\n+two\n' }],
    });
    render(<ChangesPanel project={project} onUndone={vi.fn()} />);
    const card = (await screen.findByText('Step 2: Create two')).closest('li') as HTMLElement;
    expect(within(card).getByText('two.txt')).toBeInTheDocument();
    expect(within(card).getAllByText('+1').length).toBeGreaterThan(0);
    await userEvent.click(within(card).getByRole('button', { name: 'Show changes' }));
    expect(diff).toHaveBeenCalledWith(4, step2.sha);
    expect(await within(card).findByText('+two')).toBeInTheDocument();
    // Only a step's commit can be undone.
    const other = screen.getByText('Work before step 1').closest('li') as HTMLElement;
    expect(within(other).queryByRole('button', { name: 'Undo this step' })).toBeNull();
  });

  it('asks before undoing a step, saying what will be reverted', async () => {
    vi.spyOn(api, 'listCommits').mockResolvedValue([step2]);
    const revert = vi.spyOn(api, 'revertStep').mockResolvedValue({ step: 2, reverted: step2.sha, commit: 'c'.repeat(40) });
    const onUndone = vi.fn();
    render(<ChangesPanel project={project} onUndone={onUndone} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Undo this step' }));
    const dialog = screen.getByRole('alertdialog');
    expect(dialog).toHaveTextContent('Undo step 2 (Create two)?');
    expect(dialog).toHaveTextContent('two.txt');
    expect(revert).not.toHaveBeenCalled();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Yes, undo step 2' }));
    expect(revert).toHaveBeenCalledWith(4, 2);
    expect(onUndone).toHaveBeenCalled();
  });

  it('offers no undo while the project runs', async () => {
    vi.spyOn(api, 'listCommits').mockResolvedValue([step2]);
    render(<ChangesPanel project={{ ...project, controller_running: true }} onUndone={vi.fn()} />);
    expect(await screen.findByText('Stop the project to undo a step.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Undo this step' })).toBeNull();
  });
});
