import { describe, expect, it } from 'vitest';
import { formToNewProject, validateProjectForm, type ProjectForm } from './projectForm';

const base: ProjectForm = { name: 'App', description: 'Build it', architecture: '', plan: [] };

describe('the repository fields of a new project', () => {
  it('are sent only when a repository is given, push only when on', () => {
    expect(formToNewProject({ ...base, repo_url: '  ', push: 'each_step' })).toEqual({ name: 'App', description: 'Build it' });
    expect(formToNewProject({ ...base, repo_url: ' https://github.com/a/b.git ', push: 'off' })).toEqual({
      name: 'App',
      description: 'Build it',
      repo_url: 'https://github.com/a/b.git',
    });
    expect(formToNewProject({ ...base, repo_url: 'https://github.com/a/b', push: 'at_completion' }).push).toBe('at_completion');
  });

  it('asks for a web address', () => {
    expect(validateProjectForm({ ...base, repo_url: 'git@github.com:a/b.git' }).repo_url).toMatch(/https/);
    expect(validateProjectForm({ ...base, repo_url: 'https://github.com/a/b' }).repo_url).toBeUndefined();
  });
});
