// A new member's first project with nothing but the app (issue 9, item 7): the admin's
// autocode.toml gives every member a ready "Default" agent (its supervisor the mock LLM) and
// points Claude Code at the mock Anthropic API; the member signs in, adds their own API key
// under Settings → "Claude Code account", makes a project with the default agent and starts
// it. The real Claude Code (found on the daemon's PATH, as an installed `claude` would be)
// runs on the member's key: no JSON and no key references typed anywhere. Screenshots go to
// test-output/screenshots/ (account-*); a failure leaves test-output/account-failure.txt.
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { ADMIN_PASSWORD, apiCall, screenshotBoth, startApp, until } from './harness.mjs';
import { CLAUDE_BIN, startMocks } from './mocks.mjs';
import { login, nav, openPage, reportFailure, terminalText } from './pages.mjs';

const DONE = 'E2E-ACCOUNT-DONE: the notes file is written.';
const KEY = 'sk-ant-api03-e2eMember0123456789abcdef-Mk42';

const ANTHROPIC_SCRIPT = { turns: [{ kind: 'text', text: DONE, when_user_contains: 'step 1 only' }] };

const LLM_SCRIPT = {
  rules: [
    { contains: 'E2E-ACCOUNT-DONE', reply: { kind: 'tool_calls', calls: [{ name: 'mark_step_done', arguments: { summary: 'Claude wrote the notes' } }] } },
    { contains: 'Event: permission', reply: { kind: 'tool_calls', calls: [{ name: 'answer_prompt', arguments: { option: 1 } }] } },
  ],
  default: { kind: 'tool_calls', calls: [{ name: 'wait', arguments: { seconds: 1 } }] },
};

/** The admin's autocode.toml: the CLI's traffic goes to the mock, new members get an agent. */
function daemonConfig(anthropicUrl, llmUrl) {
  return `[cli_env]
ANTHROPIC_BASE_URL = "${anthropicUrl}"
CLAUDE_CODE_MAX_RETRIES = "1"
CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = "1"
DISABLE_TELEMETRY = "1"
DISABLE_ERROR_REPORTING = "1"
DISABLE_BUG_COMMAND = "1"

[default_agent]
llm_provider = "custom"
model = "mock-supervisor"
llm_base_url = "${llmUrl}/v1"
`;
}

test("a new member runs a project on their own Claude Code account with the ready default agent", { timeout: 180_000 }, async (t) => {
  const mocks = await startMocks(t, ANTHROPIC_SCRIPT, LLM_SCRIPT);
  if (!mocks) return;
  const { anthropic, llm } = mocks;
  // The pinned CLI stands in for the `claude` an install puts on PATH.
  const app = await startApp('account', {
    config: daemonConfig(anthropic.url, llm.url),
    env: { PATH: `${dirname(CLAUDE_BIN)}:${process.env.PATH}` },
  });
  t.after(() => app.stop());

  const admin = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  assert.equal(admin.status, 200);
  const created = await apiCall(app.apiUrl, 'POST', '/api/users', { username: 'maya', password: 'maya-password', role: 'user' }, admin.body.access_token);
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const { page, pageErrors, browserLog } = await openPage(t);

  await page.goto(`${app.url}/`);
  await login(page, 'maya', 'maya-password');
  // The ready agent is there from the first sign-in.
  const menu = page.getByRole('button', { name: 'Open menu' });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole('navigation', { name: 'Main' }).filter({ visible: true }).getByRole('link', { name: 'Default', exact: true }).waitFor();
  await screenshotBoth(page, 'account-01-dashboard');
  if (await menu.isVisible()) await page.keyboard.press('Escape');

  await nav(page, 'Settings');
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'Claude Code account' }) });
  await section.getByText('Not set yet').waitFor();
  await section.getByRole('radio', { name: 'API key' }).check();
  await section.getByLabel('Anthropic API key').fill('sk-proj-not-an-anthropic-key-0000');
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('An Anthropic API key starts with sk-ant-.').waitFor();
  await section.getByLabel('Anthropic API key').fill(KEY);
  await screenshotBoth(page, 'account-02-claude-account-form');
  await section.getByRole('button', { name: 'Save' }).click();
  await section.getByText('Using an API key ending in Mk42.').waitFor();
  assert.equal(await page.getByText(KEY).count(), 0, 'the key is never shown again');
  await screenshotBoth(page, 'account-03-claude-account-set');

  await nav(page, 'Default');
  await page.getByRole('heading', { name: 'Default' }).waitFor();
  await page.getByText('signs in with your').waitFor();
  await screenshotBoth(page, 'account-04-default-agent');
  await page.getByRole('link', { name: '+ New Project' }).first().click();
  await page.getByLabel('Name').fill('Notes');
  await page.getByLabel('Goal').fill('A notes file for the family.');
  await page.getByRole('button', { name: '+ Add step' }).click();
  await page.getByLabel('Step 1 title').fill('Write notes.md');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: /Notes/ }).waitFor();
  const projectId = Number(new URL(page.url()).pathname.split('/').pop());
  assert.ok(projectId > 0, `project id in ${page.url()}`);
  const maya = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'maya', password: 'maya-password' });

  try {
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.locator('.xterm').waitFor();
    await until("Claude's reply in the terminal", async () => (await terminalText(page)).includes('E2E-ACCOUNT-DONE'), 90_000);
    await screenshotBoth(page, 'account-05-project-running');
    await page.getByRole('heading', { name: /^Notes\s+Completed$/ }).waitFor({ timeout: 60_000 });
    await screenshotBoth(page, 'account-06-project-completed');
  } catch (error) {
    await reportFailure('account-failure', app, maya.body.access_token, projectId, page, browserLog);
    throw error;
  }

  // What the mock model API saw: the member's key was the one the CLI used (the mock answers
  // any key, so the request count alone would prove nothing).
  const recorded = await (await fetch(`${anthropic.url}/_mock/requests`)).json();
  const turns = recorded.filter((r) => r.uri.startsWith('/v1/messages') && r.last_user_text.includes('step 1 only'));
  assert.ok(turns.length > 0, 'Claude Code sent the step to the model API');
  assert.deepEqual([...new Set(turns.map((r) => r.credential_tail))], ['Mk42'], "the CLI ran on maya's own key");
  assert.deepEqual(pageErrors, []);
});

// "Log in here": Claude Code in the member's own sandbox, in a terminal on the settings page
// that is theirs to type into. The sign-in itself needs Anthropic's servers, so the test stops
// at the CLI's login menu and checks that the app does not pretend the member signed in.
test('a member opens "Log in here" and types /login into their own Claude Code', { timeout: 120_000 }, async (t) => {
  const mocks = await startMocks(t, ANTHROPIC_SCRIPT, LLM_SCRIPT);
  if (!mocks) return;
  const { anthropic, llm } = mocks;
  const app = await startApp('account-login', {
    config: daemonConfig(anthropic.url, llm.url),
    env: { PATH: `${dirname(CLAUDE_BIN)}:${process.env.PATH}` },
  });
  t.after(() => app.stop());
  const admin = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  const created = await apiCall(app.apiUrl, 'POST', '/api/users', { username: 'noah', password: 'noah-password', role: 'user' }, admin.body.access_token);
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const { page, pageErrors } = await openPage(t);
  await page.goto(`${app.url}/`);
  await login(page, 'noah', 'noah-password');
  await nav(page, 'Settings');
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'Claude Code account' }) });
  await section.getByRole('radio', { name: 'Log in here' }).check();
  await section.getByRole('button', { name: 'Start Claude Code login' }).click();
  await section.getByText('Your own Claude Code session: type here.').waitFor();
  await section.locator('.xterm').waitFor();
  // The input box (its ❯ prompt) is drawn once the CLI takes keys; keys typed before are lost.
  await until('Claude Code at its prompt', async () => {
    const text = await terminalText(page);
    return text.includes('Claude Code') && text.includes('❯');
  }, 60_000);
  await section.locator('.xterm').click();
  // Typed at a person's pace: the CLI's slash-command suggestions follow each key, and an Enter
  // that comes before they caught up picks whichever command is highlighted (seen: /add-dir).
  // On a loaded machine, clear the box and type again, as a person would.
  let menu = false;
  for (let attempt = 0; attempt < 3 && !menu; attempt++) {
    if (attempt > 0) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
    }
    await page.keyboard.type('/login', { delay: 120 });
    await page.waitForTimeout(1_000);
    await page.keyboard.press('Enter');
    menu = await until('the login menu', async () => (await terminalText(page)).includes('Select login method'), 15_000)
      .then(() => true, () => false);
  }
  assert.ok(menu, `no login menu; the terminal shows:\n${await terminalText(page)}`);
  await screenshotBoth(page, 'account-07-log-in-here');
  // "Claude account with subscription": the CLI prints its sign-in link (made locally), which
  // the page offers as a button, since copying it from a phone's terminal is hopeless.
  await page.keyboard.press('Enter');
  const open = section.getByRole('link', { name: 'Open the sign-in page' });
  await open.waitFor({ timeout: 30_000 });
  assert.match(await open.getAttribute('href'), /^https:\/\/[^\s]*oauth/);
  await screenshotBoth(page, 'account-08-sign-in-link');

  // Not signed in yet: the app says so and keeps the session open.
  await section.getByRole('button', { name: 'I have signed in' }).click();
  await section.getByText('has not saved a sign-in yet', { exact: false }).waitFor();
  await section.locator('.xterm').waitFor();
  await section.getByRole('button', { name: 'Cancel' }).click();
  await until('the session to end', async () => (await section.locator('.xterm').count()) === 0, 10_000);
  assert.deepEqual(pageErrors, []);
});
