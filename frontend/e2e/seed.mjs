// Seeds a member's project through the API for browser tests that run the real CLI: their
// Anthropic key, an agent on the pinned Claude Code (`claude-test`) pointed at both mocks, and a
// project under it. What the tests then check is what a person sees.
import assert from 'node:assert/strict';
import { apiCall } from './harness.mjs';

/**
 * Creates the key, the agent and the project for the member holding `token`; returns the project.
 * `agent` adds to or overrides the agent's fields (a permission policy, say).
 */
export async function seedMockProject(app, token, { anthropic, llm }, project, agent = {}) {
  const key = await apiCall(app.apiUrl, 'POST', '/api/keys', { provider: 'anthropic', label: 'Claude', key: 'sk-ant-e2e-0123456789abcdef-wxyz' }, token);
  assert.equal(key.status, 201, JSON.stringify(key.body));
  const created = await apiCall(
    app.apiUrl,
    'POST',
    '/api/agents',
    {
      name: 'Builder',
      model: 'mock-supervisor',
      llm_provider: 'custom',
      llm_base_url: `${llm.url}/v1`,
      cli: {
        profile: 'claude-code',
        command: 'claude-test',
        env: { ANTHROPIC_BASE_URL: anthropic.url, ANTHROPIC_API_KEY: { api_key_id: key.body.id }, CLAUDE_CODE_MAX_RETRIES: '1' },
      },
      ...agent,
    },
    token,
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const made = await apiCall(app.apiUrl, 'POST', `/api/agents/${created.body.id}/projects`, project, token);
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return made.body;
}
