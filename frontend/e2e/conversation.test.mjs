// The Conversation tab in a real browser at 390×844, against the real daemon running the pinned
// Claude Code (mock Anthropic API, mock supervising LLM): a step where Claude writes a file and
// runs a Bash command shows the prompt AutoCode sent, a Bash card with its command and output, the
// Write as a diff, and Claude's Markdown reply; nothing scrolls sideways. Setup goes through the
// API; what is checked is what a person sees.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ADMIN_PASSWORD, apiCall, screenshotBoth, startApp } from './harness.mjs';
import { CLAUDE_BIN, startMocks } from './mocks.mjs';
import { login, openPage, reportFailure } from './pages.mjs';
import { seedMockProject } from './seed.mjs';

const REPLY = 'Wrote **hello.txt** and ran `echo`. Step 1 is done.';

const LLM_SCRIPT = {
  rules: [
    { contains: 'Event: permission', reply: { kind: 'tool_calls', calls: [{ name: 'answer_prompt', arguments: { option: 1 } }] } },
    {
      contains: 'Event: turn_finished',
      reply: { kind: 'tool_calls', calls: [{ name: 'mark_step_done', arguments: { summary: 'hello.txt is written' } }] },
    },
  ],
  default: { kind: 'tool_calls', calls: [{ name: 'wait', arguments: { seconds: 2 } }] },
};

/** Creates alice and her one-step project on the pinned CLI and the mocks. */
async function setUpProject(app, mocks, name) {
  const admin = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  const created = await apiCall(app.apiUrl, 'POST', '/api/users', { username: 'alice', password: 'alice-password', role: 'user' }, admin.body.access_token);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const alice = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'alice', password: 'alice-password' });
  const token = alice.body.access_token;
  const project = await seedMockProject(
    app,
    token,
    mocks,
    { name, description: 'Say hello.', implementation_plan: [{ title: 'Write hello.txt', details: 'step 1 only' }] },
    { permission_policy: { allow: ['Bash(echo *)'], deny: [], default: 'llm' } },
  );
  return { token, project };
}

test('the Conversation tab shows a Bash card and a diff at 390 px', { timeout: 240_000 }, async (t) => {
  const app = await startApp('conversation', { config: `[cli_installations.claude-test]\npath = ${JSON.stringify(CLAUDE_BIN)}\n` });
  t.after(() => app.stop());
  // Claude writes into the workspace, whose path is known once the data dir is.
  const hello = join(app.dataDir, 'users/alice/projects/conversation-site/hello.txt');
  const mocks = await startMocks(
    t,
    {
      turns: [
        { kind: 'write', file_path: hello, content: 'hello\nfrom the conversation test\n', when_user_contains: 'step 1 only', delay_ms: 500 },
        { kind: 'bash', command: 'echo conversation-e2e-output' },
        { kind: 'text', text: REPLY },
      ],
    },
    LLM_SCRIPT,
  );
  if (!mocks) return;
  const { token, project } = await setUpProject(app, mocks, 'Conversation site');
  assert.equal(join(project.workspace_path, 'hello.txt'), hello, 'the workspace is where the script writes');
  const { page, pageErrors, browserLog } = await openPage(t);
  await page.goto(`${app.url}/`);
  await login(page, 'alice', 'alice-password');
  await page.goto(`${app.url}/projects/${project.id}?tab=conversation`);
  await page.getByText('Nothing said yet').waitFor();
  try {
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    const bash = page.locator('[data-testid="tool-card"][data-tool="Bash"]');
    await bash.getByText('conversation-e2e-output', { exact: true }).waitFor({ timeout: 90_000 });
    assert.match(await bash.innerText(), /\$ echo conversation-e2e-output/);
    const write = page.locator('[data-testid="tool-card"][data-tool="Write"]');
    await write.getByText('+from the conversation test').waitFor();
    assert.match(await write.innerText(), /hello\.txt/);
    await page.getByText('Sent to Claude').first().waitFor();
    const reply = page.locator('[data-kind="text"]').filter({ hasText: 'Step 1 is done.' });
    await reply.waitFor({ timeout: 60_000 });
    assert.equal(await reply.locator('strong').innerText(), 'hello.txt', 'Markdown is rendered');
    // Long lines (the step prompt, paths) wrap: nothing in the conversation scrolls sideways.
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('[aria-label="Conversation"], [aria-label="Conversation"] *')]
        .filter((el) => el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'hidden')
        .map((el) => `${el.tagName}.${el.className}`),
    );
    assert.deepEqual(wide, [], 'elements wider than their box at 390 px');
    await screenshotBoth(page, 'conversation-01-bash-and-diff');
  } catch (error) {
    await reportFailure('conversation-failure', app, token, project.id, page, browserLog);
    throw error;
  }
  assert.deepEqual(pageErrors, []);
});
