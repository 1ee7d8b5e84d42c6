// The live parts of the project page in a real browser, against the WebSocket protocol of the
// API contract (issue 5) played by Playwright's in-browser routes: the built app from
// `vite preview`, no daemon. The xterm.js terminal shows the snapshot and the raw bytes, take-over
// sends typed input and keys; the log stream resumes after a drop without gaps or duplicates; a
// status message turns the page into "needs help" with the question and a reply box.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser, screenshotBoth, startPreview, until } from './harness.mjs';

const USER = { id: 5, username: 'alice', role: 'user', created_at: '2026-11-01T10:00:00Z' };
const AGENT = {
  id: 1,
  name: 'Builder',
  model: 'gpt-4o-mini',
  identity: '',
  tools: ['send_message', 'ask_human'],
  mcp_servers: {},
  workspace_base: 'projects',
  global_rules: '',
  llm_provider: 'openai',
  llm_base_url: null,
  permission_policy: { allow: [], deny: [], default: 'llm' },
  cli: { profile: 'claude-code', command: null, args: [], env: {}, auto_mode: false },
  poll_interval_s: 2,
  stall_timeout_s: 300,
  max_retries: 3,
  project_count: 1,
  created_at: '2026-11-01T10:00:00Z',
  updated_at: '2026-11-01T10:00:00Z',
};
const PROJECT = {
  id: 7,
  agent_id: 1,
  name: 'Hello site',
  slug: 'hello-site',
  description: 'A static page that says hello.',
  architecture: 'Plain HTML.',
  implementation_plan: [
    { title: 'Write index.html', details: '', status: 'done' },
    { title: 'Add a test', details: 'A shell script that greps the page.', status: 'running' },
    { title: 'Write the README', details: '', status: 'pending' },
  ],
  status: 'running',
  current_step: 1,
  question: null,
  human_control: false,
  controller_running: true,
  tmux_session: 'ac-5-7',
  workspace_path: '/data/users/alice/projects/hello-site',
  cost: { prompt_tokens: 12840, completion_tokens: 1320, usd: 0.0042 },
  created_at: '2026-11-01T10:00:00Z',
  updated_at: '2026-11-01T10:05:00Z',
};
const entry = (id, level, message) => ({ id, project_id: 7, level, message, timestamp: `2026-11-01T10:0${id}:00Z` });

test('terminal, take-over and live logs on the project page', { timeout: 90_000 }, async (t) => {
  const app = await startPreview(null);
  t.after(() => app.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  await page.addInitScript((user) => {
    const session = { access_token: 'acc', refresh_token: 'ref', expires_at: Date.now() + 3_600_000, user };
    localStorage.setItem('autocode.session', JSON.stringify(session));
  }, USER);

  const messages = [];
  await page.route('**/api/**', async (route) => {
    const url = new URL(route.request().url());
    const method = route.request().method();
    const reply = (status, body) => route.fulfill({ status, contentType: 'application/json', body: body === undefined ? '' : JSON.stringify(body) });
    if (url.pathname === '/api/auth/me') return reply(200, USER);
    if (url.pathname === '/api/agents') return reply(200, [AGENT]);
    if (url.pathname === '/api/projects/7' && method === 'GET') return reply(200, PROJECT);
    if (url.pathname === '/api/ws/ticket') return reply(200, { ticket: `t-${Math.random()}` });
    if (url.pathname === '/api/projects/7/messages') {
      messages.push(route.request().postDataJSON());
      return reply(202);
    }
    return reply(404, { error: 'not found' });
  });

  const terminalIn = [];
  let terminalWs = null;
  await page.routeWebSocket(/\/api\/ws\/projects\/7\/terminal/, (ws) => {
    terminalWs = ws;
    ws.send(JSON.stringify({ type: 'snapshot', cols: 80, rows: 12, data: '\x1b[1;36m✻ Welcome to Claude Code\x1b[0m\r\n\r\n> ' }));
    ws.send(JSON.stringify({ type: 'control', human: false, by: null }));
    ws.onMessage((message) => {
      const m = JSON.parse(String(message));
      terminalIn.push(m);
      if (m.type === 'take_over') ws.send(JSON.stringify({ type: 'control', human: true, by: 'alice' }));
      if (m.type === 'release') ws.send(JSON.stringify({ type: 'control', human: false, by: null }));
    });
  });

  const subscribes = [];
  const logSockets = [];
  await page.routeWebSocket(/\/api\/ws\/projects\/7\/logs/, (ws) => {
    logSockets.push(ws);
    ws.onMessage((message) => {
      const m = JSON.parse(String(message));
      if (m.type !== 'subscribe') return;
      subscribes.push(m.after);
      if (m.after === 0) {
        ws.send(JSON.stringify({ type: 'log', entry: entry(1, 'info', 'Project started') }));
        ws.send(JSON.stringify({ type: 'log', entry: entry(2, 'action', 'Sent step 2 to Claude') }));
      } else {
        // A server resending the seam: entry 2 again, then what was missed.
        ws.send(JSON.stringify({ type: 'log', entry: entry(2, 'action', 'Sent step 2 to Claude') }));
        ws.send(JSON.stringify({ type: 'log', entry: entry(3, 'agent_decision', 'Claude asks which port to use') }));
        ws.send(JSON.stringify({ type: 'status', status: 'needs_help', current_step: 1, question: 'Which port should the server listen on?' }));
      }
    });
  });

  await page.goto(`${app.url}/projects/7`);
  await page.getByRole('heading', { name: /Hello site/ }).waitFor();
  await until('the snapshot in xterm', async () => (await page.locator('.xterm-rows').textContent())?.includes('Welcome to Claude Code'));
  await until('the terminal socket', () => terminalWs !== null);
  // xterm.js stops rendering while it is off screen, as the terminal is below the fold on a phone.
  await page.locator('.xterm').scrollIntoViewIfNeeded();
  terminalWs.send(Buffer.from('\x1b[32mWriting test.sh\x1b[0m'));
  await until('the raw bytes in xterm', async () => (await page.locator('.xterm-rows').textContent())?.includes('Writing test.sh'));
  await page.getByText('Watching (read-only)').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the terminal makes the phone page ${overflow}px too wide`);

  // Zoomed, the terminal box scrolls sideways but the page still does not.
  await page.getByRole('button', { name: 'Zoom' }).click();
  await until('the zoomed terminal to overflow its box', () =>
    page.locator('[aria-label="Claude Code terminal"]').evaluate((el) => el.scrollWidth > el.clientWidth),
  );
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0);
  await page.getByRole('button', { name: 'Fit width' }).click();

  // Typing before take-over goes nowhere.
  await page.locator('.xterm').click();
  await page.keyboard.type('nope');
  await page.getByRole('button', { name: 'Take over' }).click();
  await page.getByText('You are in control').waitFor();
  await page.locator('.xterm').click();
  await page.keyboard.type('yes');
  await page.getByRole('button', { name: 'Escape' }).click();
  await until('input and key to reach the socket', () => terminalIn.some((m) => m.type === 'key'));
  const typed = terminalIn.filter((m) => m.type === 'input').map((m) => m.data).join('');
  assert.equal(typed, 'yes');
  assert.deepEqual(terminalIn.filter((m) => m.type !== 'input'), [{ type: 'take_over' }, { type: 'key', key: 'Escape' }]);
  await screenshotBoth(page, '11-project-terminal-live');
  await page.getByRole('button', { name: 'Release' }).click();
  await page.getByText('Watching (read-only)').waitFor();

  await page.getByRole('tab', { name: 'Logs' }).click();
  await page.getByText('Sent step 2 to Claude').waitFor();
  // The connection drops; the client comes back and resumes after the last id it saw.
  await until('the first log subscription', () => subscribes.length === 1);
  await logSockets[0].close();
  await until('a resubscription', () => subscribes.length === 2, 15_000);
  assert.deepEqual(subscribes, [0, 2]);
  await page.getByText('Claude asks which port to use').waitFor();
  const lines = await page.getByRole('log').locator('li').allTextContents();
  assert.equal(lines.length, 3, lines.join('\n'));

  // The status message turns the page into "needs help" with the question and a reply box.
  await page.getByText('Which port should the server listen on?').waitFor();
  await page.getByLabel('Your answer').fill('Use 8080.');
  await page.getByRole('button', { name: 'Send answer' }).click();
  await page.getByText('Sent. The agent reads it').waitFor();
  assert.deepEqual(messages, [{ text: 'Use 8080.' }]);

  await page.getByRole('checkbox', { name: 'Info' }).uncheck();
  assert.equal(await page.getByRole('log').locator('li').count(), 2);
  await screenshotBoth(page, '12-project-needs-help-logs');

  // Keyboard: arrows move between the tabs.
  await page.getByRole('tab', { name: 'Architecture' }).focus();
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('tab', { name: 'Description', selected: true }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Description');
  await page.getByText('A static page that says hello.').waitFor();
  assert.deepEqual(pageErrors, []);
});
