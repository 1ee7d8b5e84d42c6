// The phone side of issue 11 against the real daemon, the pinned Claude Code and both mocks, at
// 390×844: the mock supervisor escalates a question; two open Inbox pages show it live; the take-
// over key bar's Esc reaches the pane (Claude Code answers it over typed text with "Esc again to
// clear"); the question is answered on one page and leaves the other at once (no reload, no
// polling); pushes delivered to the service worker through the DevTools protocol show their
// notification (a permission with Approve / Deny), and a click opens the project in the open
// window, or, when an Approve's token no longer works, the inbox item. Screenshots inbox-01..05.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PASSWORD, apiCall, screenshotBoth, startApp, until } from './harness.mjs';
import { CLAUDE_BIN, startMocks } from './mocks.mjs';
import { login, openPage, reportFailure, terminalText } from './pages.mjs';
import { seedMockProject } from './seed.mjs';

const QUESTION = 'Which greeting should the page show: Hello, world or Hello, family?';
const ANSWER = 'Use the greeting Hello, family';
const PROBE = 'e2e-esc-probe';

const ANTHROPIC_SCRIPT = {
  turns: [
    { kind: 'text', text: 'E2E-ASKS: index.html is written. Which greeting?', when_user_contains: 'step 1 only' },
    { kind: 'text', text: 'E2E-DONE: the page says Hello, family.', when_user_contains: 'Hello, family' },
  ],
};

const LLM_SCRIPT = {
  rules: [
    { contains: 'E2E-DONE', reply: { kind: 'tool_calls', calls: [{ name: 'mark_step_done', arguments: { summary: 'Greeting written' } }] } },
    { contains: ANSWER, reply: { kind: 'tool_calls', calls: [{ name: 'wait', arguments: { seconds: 2 } }] } },
    { contains: 'Event: permission', reply: { kind: 'tool_calls', calls: [{ name: 'answer_prompt', arguments: { option: 1 } }] } },
    { contains: 'Event: turn_finished', reply: { kind: 'tool_calls', calls: [{ name: 'ask_human', arguments: { question: QUESTION } }] } },
  ],
  default: { kind: 'tool_calls', calls: [{ name: 'wait', arguments: { seconds: 2 } }] },
};

/** Dispatches a click on the newest notification inside the service worker (as a tap would). */
async function clickNotification(worker, action) {
  await worker.evaluate(async (act) => {
    const [n] = await self.registration.getNotifications();
    if (!n) throw new Error('no notification to click');
    // A synthetic event cannot extend its lifetime (waitUntil throws), but the handler's work has
    // started by then; the test waits for what it does.
    self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n, action: act }));
  }, action);
}

test('the inbox is live across pages, the key bar reaches the pane, and notifications open their link', { timeout: 240_000 }, async (t) => {
  const mocks = await startMocks(t, ANTHROPIC_SCRIPT, LLM_SCRIPT);
  if (!mocks) return;
  const app = await startApp('inbox', { config: `[cli_installations.claude-test]\npath = ${JSON.stringify(CLAUDE_BIN)}\n` });
  t.after(() => app.stop());
  const { page, pageErrors, browserLog } = await openPage(t);
  const context = page.context();
  await context.grantPermissions(['notifications'], { origin: app.url });

  const session = await apiCall(app.apiUrl, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  const token = session.body.access_token;
  const project = await seedMockProject(app, token, mocks, {
    name: 'Hello site',
    description: 'A static page that says hello.',
    implementation_plan: [{ title: 'Write index.html', details: '' }],
  });
  const id = project.id;

  try {
    await page.goto(`${app.url}/`);
    await login(page, 'admin', ADMIN_PASSWORD);
    const other = await context.newPage();
    await other.goto(`${app.url}/inbox`);
    await page.goto(`${app.url}/inbox`);
    await page.getByText('Nothing is waiting for you.').waitFor();

    const started = await apiCall(app.apiUrl, 'POST', `/api/projects/${id}/start`, undefined, token);
    assert.equal(started.status, 200, JSON.stringify(started.body));
    // Both pages learn of the question from the live stream (the inbox no longer polls).
    await page.getByText(QUESTION).waitFor({ timeout: 120_000 });
    await other.getByText(QUESTION).waitFor({ timeout: 10_000 });
    await screenshotBoth(page, 'inbox-01-question');

    // Take over on the project page: type, then the key bar's Esc twice clears the input.
    await page.getByRole('link', { name: 'Hello site' }).click();
    await page.getByRole('button', { name: 'Take over' }).click();
    await page.getByText('You are in control.').waitFor();
    await page.locator('.xterm').click();
    await page.keyboard.type(PROBE);
    await until('the typed text in the pane', async () => (await terminalText(page)).includes(PROBE), 15_000);
    await screenshotBoth(page, 'inbox-02-key-bar');
    // Claude Code answers one Esc over typed text with "Esc again to clear" for a second; a
    // watcher on the terminal's rows catches it however slowly the page is polled. xterm.js does
    // not render off screen, and the screenshots scrolled to the top.
    await page.locator('.xterm').scrollIntoViewIfNeeded();
    await page.evaluate(() => {
      const rows = document.querySelector('.xterm-rows');
      window.sawEscHint = false;
      new MutationObserver(() => {
        if (rows.textContent.includes('Esc again to clear')) window.sawEscHint = true;
      }).observe(rows, { childList: true, subtree: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Escape' }).click();
    await until('Esc to reach the pane', () => page.evaluate(() => window.sawEscHint), 15_000);
    // Empty the prompt again (Ctrl+U) before giving the terminal back.
    await page.locator('.xterm').click();
    await page.keyboard.press('Control+u');
    await until('the typed text to be gone', async () => !(await terminalText(page)).includes(PROBE), 15_000);
    await page.getByRole('button', { name: 'Release' }).click();
    await page.getByText('Watching (read-only)').waitFor();

    // Answered here; the other page loses the item at once.
    await page.goto(`${app.url}/inbox`);
    await page.getByLabel('Your answer to Hello site').fill(ANSWER);
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Sent to Hello site.').waitFor();
    await other.getByText(QUESTION).waitFor({ state: 'detached', timeout: 10_000 });
    await screenshotBoth(other, 'inbox-03-answered-elsewhere');
    await until(
      'the project to complete',
      async () => (await apiCall(app.apiUrl, 'GET', `/api/projects/${id}`, undefined, token)).body.status === 'completed',
      120_000,
      500,
    );
    await other.close();

    // Notifications: shown with their buttons; a click opens the deep link in the open window.
    const cdp = await context.newCDPSession(page);
    const registrations = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: r }) => registrations.push(...r));
    await cdp.send('ServiceWorker.enable');
    const scope = `${app.url}/`;
    const registrationId = await until('the service worker registration', () =>
      registrations.findLast((r) => r.scopeURL === scope && !r.isDeleted)?.registrationId,
    );
    browserLog.push(`service worker registrations: ${JSON.stringify(registrations)}`);
    const worker = await until('the service worker', () => context.serviceWorkers().find((w) => w.url().startsWith(app.url)));
    const shown = () =>
      page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, url: n.data?.url, actions: n.actions.map((a) => a.title) })),
      );
    // Delivered again when nothing shows within a few seconds: DevTools hands a push to a worker
    // that is stopping or starting without retrying, where a push service would retry.
    const deliver = async (payload) => {
      for (let attempt = 1; ; attempt++) {
        await cdp.send('ServiceWorker.deliverPushMessage', { origin: scope, registrationId, data: JSON.stringify(payload) });
        try {
          return await until(`"${payload.title}" to show`, async () => (await shown()).find((n) => n.title === payload.title), 5_000);
        } catch (error) {
          browserLog.push(`push attempt ${attempt} not shown: ${JSON.stringify(await shown())}`);
          if (attempt === 4) throw error;
        }
      }
    };

    await page.goto(`${app.url}/`);
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const done = await deliver({ title: 'Hello site is done', body: 'Every step of the plan is complete.', url: `/projects/${id}`, project_id: id, event: 'completed', tag: `project-${id}` });
    assert.deepEqual(done, { title: 'Hello site is done', url: `/projects/${id}`, actions: [] });
    await clickNotification(worker, '');
    await page.waitForURL(`${app.url}/projects/${id}`);
    await page.getByRole('heading', { name: /Hello site/ }).waitFor();
    await screenshotBoth(page, 'inbox-04-opened-from-notification');

    const asked = await deliver({
      title: 'Hello site asks for permission',
      body: 'Bash `make deploy`',
      url: `/inbox/${id}`,
      project_id: id,
      event: 'permission',
      tag: `project-${id}`,
      actions: [
        { action: 'allow', title: 'Approve' },
        { action: 'deny', title: 'Deny' },
      ],
      answer: { url: `/api/inbox/${id}/action`, token: 'no-longer-valid' },
    });
    assert.deepEqual(asked.actions, ['Approve', 'Deny'], 'Approve and Deny on the notification');
    await clickNotification(worker, 'allow');
    // The token is refused (401), so the tap opens the inbox item instead.
    await page.waitForURL(`${app.url}/inbox/${id}`);
    await page.getByText('That question was already answered.').waitFor();
    await screenshotBoth(page, 'inbox-05-approve-fell-back-to-inbox');
    assert.deepEqual(pageErrors, []);
  } catch (error) {
    await reportFailure('inbox-failure', app, token, id, page, browserLog);
    throw error;
  }
});
