// The person's whole path through the real daemon (issue 6): the admin creates a user; that user
// adds an API key, an agent (whose CLI is the pinned Claude Code against the mock Anthropic API,
// supervised by the mock LLM) and a project; starts it, watches Claude's output in the terminal
// and a line in the logs, answers the agent's question, and sees the project complete. A second
// user never sees it. Screenshots of every page go to test-output/screenshots/ at 390x844 and
// 1280x800; on failure the project, its logs and its pane go to test-output/flow-failure.txt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PASSWORD, apiCall, screenshotBoth, startApp, until } from './harness.mjs';
import { CLAUDE_BIN, startMocks } from './mocks.mjs';
import { login, nav, openPage, reportFailure, terminalText } from './pages.mjs';

// What Claude (the mock model) says, and what the mock supervisor keys its decisions on.
const ASKS = 'E2E-ASKS: index.html is written. Which greeting should the page show?';
const ANSWER = 'Use the greeting Hello, family';
const DONE = 'E2E-DONE: the page now says Hello, family. Step 1 is done.';
const QUESTION = 'Which greeting should the page show: Hello, world or Hello, family?';

const ANTHROPIC_SCRIPT = {
  turns: [
    // Held back a little so the page can be seen while Claude works.
    { kind: 'text', text: ASKS, when_user_contains: 'step 1 only', delay_ms: 1500 },
    { kind: 'text', text: DONE, when_user_contains: 'Hello, family' },
  ],
};

// The supervisor asks the owner once (after the first turn) and calls the step done once the
// screen shows Claude acted on the answer. Rules match the request text; the first match wins.
const LLM_SCRIPT = {
  rules: [
    {
      contains: 'E2E-DONE',
      // Held back so the terminal can be seen with Claude's last reply: the CLI ends once the
      // project completes.
      reply: {
        kind: 'delay',
        ms: 3000,
        then: { kind: 'tool_calls', calls: [{ name: 'mark_step_done', arguments: { summary: 'Claude says the page is written with the greeting' } }], usage: { prompt_tokens: 1200, completion_tokens: 30 } },
      },
    },
    // The owner's answer is on screen but Claude has not replied yet: give it time.
    { contains: ANSWER, reply: { kind: 'tool_calls', calls: [{ name: 'wait', arguments: { seconds: 2 } }] } },
    { contains: 'Event: permission', reply: { kind: 'tool_calls', calls: [{ name: 'answer_prompt', arguments: { option: 1 } }] } },
    {
      contains: 'Event: turn_finished',
      reply: { kind: 'tool_calls', calls: [{ name: 'ask_human', arguments: { question: QUESTION } }], usage: { prompt_tokens: 1100, completion_tokens: 25 } },
    },
  ],
  default: { kind: 'tool_calls', calls: [{ name: 'wait', arguments: { seconds: 2 } }] },
};

/** The project page's heading with this status badge (its accessible name leaves out the icon). */
function statusBadge(page, label) {
  return page.getByRole('heading', { name: new RegExp(`^Hello site\\s+${label}$`) });
}

test('a user runs a project with the real Claude Code to completion, answering its question; another user cannot see it', { timeout: 300_000 }, async (t) => {
  const mocks = await startMocks(t, ANTHROPIC_SCRIPT, LLM_SCRIPT);
  if (!mocks) return;
  const { anthropic, llm } = mocks;
  // The pinned CLI, registered the way an admin would; members pick it by name.
  const app = await startApp('flow', { config: `[cli_installations.claude-test]\npath = ${JSON.stringify(CLAUDE_BIN)}\n` });
  t.after(() => app.stop());
  const { page, pageErrors, browserLog } = await openPage(t);

  await page.goto(`${app.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Enter your username.').waitFor();
  await screenshotBoth(page, '01-login');

  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();

  await login(page, 'admin', ADMIN_PASSWORD);
  await nav(page, 'Admin Panel');
  await page.getByRole('heading', { name: 'Admin Panel' }).waitFor();
  await page.getByLabel('New username').fill('alice');
  await page.getByLabel('Initial password').fill('alice-password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByText('Created alice').waitFor();
  await page.getByRole('button', { name: 'Delete alice' }).click();
  await page.getByRole('alertdialog').getByText('their whole workspace folder').waitFor();
  await screenshotBoth(page, '02-admin');
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  await nav(page, 'Log out');

  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await login(page, 'alice', 'alice-password');
  await page.getByRole('link', { name: 'Create your first agent' }).waitFor();
  await screenshotBoth(page, '03-dashboard-empty');

  // Claude Code's key: the agent's CLI environment refers to it by the id the page shows.
  await nav(page, 'Settings');
  await page.getByLabel('Provider').selectOption('anthropic');
  await page.getByLabel('Label').fill('Claude key');
  await page.getByLabel('Key', { exact: true }).fill('sk-ant-e2e-0123456789abcdef-wxyz');
  await page.getByRole('button', { name: 'Add key' }).click();
  const keyLine = page.locator('p', { hasText: '••••wxyz' });
  await keyLine.waitFor();
  const keyId = Number(/id (\d+)/.exec(await keyLine.textContent())?.[1]);
  assert.ok(keyId > 0, `key id shown beside the key: ${await keyLine.textContent()}`);
  await screenshotBoth(page, '04-settings');

  // The whole agent through the Agent Builder, CLI and supervisor settings included.
  await nav(page, '+ New Agent');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await page.getByText('Give the agent a name.').waitFor();
  await page.getByLabel('Name').fill('Builder');
  await page.getByLabel('Supervising model').fill('mock-supervisor');
  await page.getByLabel('LLM provider').selectOption('custom');
  await page.getByLabel('LLM base URL').fill(`${llm.url}/v1`);
  await page.getByLabel('Identity').fill('A careful engineer who writes tests first.');
  await page.getByRole('option', { name: 'claude-test' }).waitFor({ state: 'attached' });
  await page.getByLabel('Claude Code installation').selectOption('claude-test');
  await page
    .getByLabel('CLI environment')
    .fill([`ANTHROPIC_BASE_URL=${anthropic.url}`, `ANTHROPIC_API_KEY={key:${keyId}}`, 'CLAUDE_CODE_MAX_RETRIES=1'].join('\n'));
  await screenshotBoth(page, '05-agent-builder');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await page.getByRole('heading', { name: 'Builder' }).waitFor();
  await page.getByText('No projects yet.').waitFor();
  await screenshotBoth(page, '06-agent');

  const alice = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'alice', password: 'alice-password' });
  assert.equal(alice.status, 200);
  const agents = await apiCall(app.apiUrl, 'GET', '/api/agents', undefined, alice.body.access_token);
  assert.equal(agents.status, 200);
  const agent = agents.body.find((a) => a.name === 'Builder');
  assert.equal(agent.llm_provider, 'custom');
  assert.equal(agent.llm_base_url, `${llm.url}/v1`);
  assert.equal(agent.cli.command, 'claude-test');
  assert.deepEqual(agent.cli.env, { ANTHROPIC_BASE_URL: anthropic.url, ANTHROPIC_API_KEY: { api_key_id: keyId }, CLAUDE_CODE_MAX_RETRIES: '1' });

  await page.getByRole('link', { name: '+ New Project' }).first().click();
  await page.getByLabel('Name').fill('Hello site');
  await page.getByLabel('Goal').fill('A static page that says hello, with a test.');
  await page.getByLabel('Architecture (optional)').fill('Plain HTML and a shell test.');
  await page.getByRole('button', { name: '+ Add step' }).click();
  await page.getByLabel('Step 1 title').fill('Write index.html');
  await screenshotBoth(page, '07-new-project');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: /Hello site/ }).waitFor();
  const projectId = Number(new URL(page.url()).pathname.split('/').pop());
  assert.ok(projectId > 0, `project id in ${page.url()}`);
  await page.getByText('Write index.html').first().waitFor();
  await page.getByText('The terminal appears when the project starts').waitFor();
  await screenshotBoth(page, '08-project-created');
  for (const tab of ['Description', 'Architecture']) {
    await page.getByRole('tab', { name: tab }).click();
    await page.getByRole('tab', { name: tab, selected: true }).waitFor();
    await screenshotBoth(page, `09-project-${tab.toLowerCase()}`);
  }
  await page.getByRole('tab', { name: 'Description' }).click();
  await page.getByText('A static page that says hello, with a test.').waitFor();

  try {
    // Start: Claude Code comes up in the terminal and the controller sends step 1.
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await statusBadge(page, 'Running').waitFor();
    await page.locator('.xterm').waitFor();
    await until('Claude Code to draw its screen in the terminal', async () => (await terminalText(page)).includes('Claude Code'), 60_000);
    await screenshotBoth(page, '10-project-running-terminal');
    await until("Claude's reply in the terminal", async () => (await terminalText(page)).includes('E2E-ASKS'), 60_000);

    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByRole('log').getByText('Sent step 1: Write index.html').waitFor({ timeout: 30_000 });
    await screenshotBoth(page, '11-project-running-logs');

    // The supervisor asks; the page says so, with the question and a reply box.
    await statusBadge(page, 'Needs help').waitFor({ timeout: 60_000 });
    await page.getByText(QUESTION, { exact: true }).waitFor();
    await page.getByRole('log').getByText(`Needs help: ${QUESTION}`).waitFor();
    await screenshotBoth(page, '12-project-needs-help-logs');
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await until('the terminal to show the screen Claude asked from', async () => (await terminalText(page)).includes('E2E-ASKS'));
    await screenshotBoth(page, '13-project-needs-help-terminal');
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Write your answer first.').waitFor();
    await page.getByLabel('Your answer').fill(ANSWER);
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Sent. The agent reads it').waitFor();

    // The answer reaches Claude, Claude finishes, the supervisor calls the step done.
    await until('the answer and the last reply in the terminal', async () => {
      const text = await terminalText(page);
      return text.includes(ANSWER) && text.includes('E2E-DONE');
    }, 60_000);
    await screenshotBoth(page, '14-project-answered-terminal');
    await statusBadge(page, 'Completed').waitFor({ timeout: 60_000 });
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByRole('log').getByText('All steps are done: project completed').waitFor();
    await page.getByRole('log').getByText(`alice replied: ${ANSWER}`).waitFor();
    await page.getByText('Plan · 1 of 1 done').waitFor();
    await screenshotBoth(page, '15-project-completed-logs');
  } catch (error) {
    await reportFailure('flow-failure', app, alice.body.access_token, projectId, page, browserLog);
    throw error;
  }

  const done = await apiCall(app.apiUrl, 'GET', `/api/projects/${projectId}`, undefined, alice.body.access_token);
  assert.equal(done.body.status, 'completed');
  assert.deepEqual(
    done.body.implementation_plan.map((s) => s.status),
    ['done'],
  );
  assert.equal(done.body.question, null);
  const logs = await apiCall(app.apiUrl, 'GET', `/api/projects/${projectId}/logs?limit=1000`, undefined, alice.body.access_token);
  const asked = logs.body.filter((e) => e.message.startsWith('Needs help:'));
  assert.equal(asked.length, 1, `the owner was asked once: ${asked.map((e) => e.message).join(' | ')}`);
  assert.ok(done.body.cost.prompt_tokens >= 2300, `the supervisor's two decisions are counted: ${JSON.stringify(done.body.cost)}`);

  await nav(page, 'Dashboard');
  await page.getByRole('link', { name: /Hello site/ }).waitFor();
  await screenshotBoth(page, '16-dashboard');

  // A second user sees nothing of alice's, in the API and in the app.
  const admin = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  assert.equal(admin.status, 200);
  const created = await apiCall(app.apiUrl, 'POST', '/api/users', { username: 'bob', password: 'bob-password', role: 'user' }, admin.body.access_token);
  assert.equal(created.status, 201);
  const bob = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'bob', password: 'bob-password' });
  assert.equal(bob.status, 200);
  const bobsProjects = await apiCall(app.apiUrl, 'GET', '/api/projects', undefined, bob.body.access_token);
  assert.equal(bobsProjects.status, 200);
  assert.deepEqual(bobsProjects.body, []);
  const peek = await apiCall(app.apiUrl, 'GET', `/api/projects/${projectId}`, undefined, bob.body.access_token);
  assert.equal(peek.status, 404);

  await nav(page, 'Log out');
  await login(page, 'bob', 'bob-password');
  await page.getByRole('link', { name: 'Create your first agent' }).waitFor();
  assert.equal(await page.getByText('Hello site').count(), 0);
  await page.goto(`${app.url}/projects/${projectId}`);
  await page.getByRole('alert').waitFor();

  assert.deepEqual(pageErrors, []);
});
