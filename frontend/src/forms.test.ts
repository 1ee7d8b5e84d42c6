import { describe, expect, it } from 'vitest';
import { agentToForm, emptyAgentForm, formToInput, validateAgentForm } from './agents/agentForm';
import { envToLines, parseEnvLines, splitLines, validatePassword, validateUsername } from './forms';
import { formToNewProject, validateProjectForm } from './projects/projectForm';
import { validatePasswordChange } from './settings/ChangePassword';
import type { Agent } from './types';

describe('account fields', () => {
  it('accepts the usernames the server accepts and explains the rest', () => {
    expect(validateUsername('ann_b-2')).toBeNull();
    expect(validateUsername('')).toBe('Enter a username.');
    expect(validateUsername('Ann')).toMatch(/lowercase/);
    expect(validateUsername('a b')).toMatch(/lowercase/);
    expect(validateUsername('a'.repeat(33))).toBe('At most 32 characters.');
  });

  it('wants passwords of at least 8 characters', () => {
    expect(validatePassword('1234567')).toBe('At least 8 characters.');
    expect(validatePassword('12345678')).toBeNull();
  });

  it('checks a password change before sending it', () => {
    expect(validatePasswordChange('', 'short', 'other')).toEqual({
      current: 'Enter your current password.',
      next: 'At least 8 characters.',
      confirm: 'The two new passwords differ.',
    });
    expect(validatePasswordChange('oldpassword', 'oldpassword', 'oldpassword').next).toMatch(/different/);
    expect(Object.values(validatePasswordChange('oldpassword', 'newpassword', 'newpassword')).filter(Boolean)).toEqual([]);
  });
});

describe('environment lines', () => {
  it('parses NAME=value lines, skipping blanks and comments', () => {
    expect(parseEnvLines('A=1\n\n# note\nB_2=x=y\n')).toEqual({ env: { A: '1', B_2: 'x=y' } });
    expect(parseEnvLines('A=1\nnot a pair')).toEqual({ error: 'Line 2: expected NAME=value.' });
    expect(envToLines({ A: '1', B: '2' })).toBe('A=1\nB=2');
    expect(parseEnvLines('ANTHROPIC_API_KEY={key:4}', true)).toEqual({ env: { ANTHROPIC_API_KEY: { api_key_id: 4 } } });
    expect(parseEnvLines('X={key:4}')).toEqual({ env: { X: '{key:4}' } });
    expect(envToLines({ K: { api_key_id: 4 } })).toBe('K={key:4}');
    expect(splitLines(' a \n\n b')).toEqual(['a', 'b']);
  });
});

describe('agent form', () => {
  const valid = () => ({ ...emptyAgentForm(), name: 'Builder', model: 'gpt-4o-mini' });

  it('starts valid once named, with every tool and safe deny rules', () => {
    expect(validateAgentForm(valid())).toEqual({});
    expect(emptyAgentForm().tools).toHaveLength(11);
    expect(emptyAgentForm().deny).toContain('rm -rf');
  });

  it('reports each invalid field', () => {
    const errors = validateAgentForm({
      ...emptyAgentForm(),
      llm_provider: 'custom',
      tools: [],
      cli_env: 'oops',
      poll_interval_s: '0',
      stall_timeout_s: 'soon',
      max_retries: '99',
      mcp: [
        { name: 'fs', command: 'mcp-fs', args: '', env: '' },
        { name: 'fs', command: 'x', args: '', env: '' },
      ],
    });
    expect(Object.keys(errors).sort()).toEqual(
      ['cli_env', 'llm_base_url', 'max_retries', 'mcp.1', 'model', 'name', 'poll_interval_s', 'stall_timeout_s', 'tools'].sort(),
    );
    expect(errors['mcp.1']).toMatch(/used twice/);
    expect(validateAgentForm({ ...valid(), llm_base_url: 'localhost:11434' }).llm_base_url).toMatch(/http/);
  });

  it('round-trips an agent through the form into the API shape', () => {
    const input = formToInput({
        ...valid(),
        llm_base_url: ' http://127.0.0.1:9000/v1 ',
        allow: 'Write\nBash(npm test*)\n',
        cli_args: '--model\nsonnet',
        cli_env: 'ANTHROPIC_BASE_URL=http://127.0.0.1:9001',
        mcp: [{ name: 'fs', command: 'mcp-fs', args: '--root\n/tmp', env: 'A=1' }],
    });
    expect(input).not.toHaveProperty('workspace_base');
    const agent: Agent = { ...input, workspace_base: 'projects', id: 3, project_count: 0, created_at: '', updated_at: '' };
    expect(agent.llm_base_url).toBe('http://127.0.0.1:9000/v1');
    expect(agent.permission_policy.allow).toEqual(['Write', 'Bash(npm test*)']);
    expect(agent.cli).toEqual({
      profile: 'claude-code',
      command: null,
      args: ['--model', 'sonnet'],
      env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:9001' },
      auto_mode: false,
    });
    expect(agent.mcp_servers).toEqual({ fs: { command: 'mcp-fs', args: ['--root', '/tmp'], env: { A: '1' } } });
    const { id: _id, project_count: _n, created_at: _c, updated_at: _u, ...asInput } = agent;
    expect(formToInput(agentToForm(agent))).toEqual(asInput);
  });
});

describe('project form', () => {
  it('needs a name and a goal; a plan step with details needs a title', () => {
    expect(validateProjectForm({ name: '', description: ' ', architecture: '', plan: [{ title: '', details: 'x' }] })).toEqual({
      name: 'Give the project a name.',
      description: 'Describe the goal: what should exist when it is done?',
      'plan.0': 'Step 1 needs a title.',
    });
  });

  it('sends only what was filled in', () => {
    expect(formToNewProject({ name: ' Site ', description: 'A blog', architecture: '', plan: [{ title: '', details: '' }] })).toEqual({
      name: 'Site',
      description: 'A blog',
    });
    expect(
      formToNewProject({ name: 'S', description: 'G', architecture: 'Rust', plan: [{ title: 'Init', details: 'cargo new' }] }),
    ).toEqual({ name: 'S', description: 'G', architecture: 'Rust', implementation_plan: [{ title: 'Init', details: 'cargo new' }] });
  });
});
