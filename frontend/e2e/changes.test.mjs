// The Changes tab in a real browser at 390×844, against the history API (issue 13) played by
// Playwright's in-browser routes: the built app from `vite preview`, no daemon. A step's files and
// a long-lined diff fit the phone without sideways scrolling, and "Undo this step" asks first,
// names what it takes back, and only then calls the API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser, screenshotBoth, startPreview, until } from './harness.mjs';

const USER = { id: 5, username: 'alice', role: 'user', created_at: '2026-11-01T10:00:00Z' };
const PROJECT = {
  id: 7,
  agent_id: 1,
  name: 'Hello site',
  slug: 'hello-site',
  description: 'A static page that says hello.',
  architecture: 'Plain HTML.',
  implementation_plan: [
    { title: 'Write index.html', details: '', status: 'done' },
    { title: 'Add a stylesheet with a very long selector list', details: '', status: 'done' },
  ],
  status: 'completed',
  current_step: null,
  question: null,
  human_control: false,
  controller_running: false,
  tmux_session: 'autocode-p7',
  workspace_path: '/data/users/alice/projects/hello-site',
  cost: { prompt_tokens: 100, completion_tokens: 10, usd: 0.0001 },
  remote: {
    url: 'https://github.com/alice/hello-site.git',
    push: 'at_completion',
    pull_request: true,
    base_branch: 'main',
    pull_request_url: 'https://github.com/alice/hello-site/pull/12',
    pushed_sha: '2'.repeat(40),
    updated_at: '2026-11-01T10:05:00Z',
  },
  created_at: '2026-11-01T10:00:00Z',
  updated_at: '2026-11-01T10:05:00Z',
};
const SHA1 = '1'.repeat(40);
const SHA2 = '2'.repeat(40);
const commit = (sha, step, title, files) => ({
  sha,
  step,
  title,
  summary: `Step ${step} is complete: the transcript shows the files were written.`,
  author: 'AutoCode',
  time: '2026-11-01T10:04:00Z',
  files,
  insertions: files.reduce((n, f) => n + f.insertions, 0),
  deletions: files.reduce((n, f) => n + f.deletions, 0),
  reverted_by: null,
});
const COMMITS = [
  commit(SHA2, 2, 'Add a stylesheet with a very long selector list', [
    { path: 'assets/styles/a-rather-deeply-nested-directory/site-wide-stylesheet.css', insertions: 3, deletions: 1, binary: false },
    { path: 'logo.png', insertions: 0, deletions: 0, binary: true },
  ]),
  commit(SHA1, 1, 'Write index.html', [{ path: 'index.html', insertions: 2, deletions: 0, binary: false }]),
];
const LONG = `body > main > section.hero > div.container > h1.title, ${'article.post > p.lead, '.repeat(8)}footer { color: #333; }`;
const DIFF = {
  sha: SHA2,
  truncated: false,
  files: [
    {
      path: COMMITS[0].files[0].path,
      old_path: null,
      binary: false,
      truncated: false,
      patch: `@@ -1,2 +1,4 @@\n-body { color: black; }\n+${LONG}\n+h1 { font-size: 2rem; }\n+p { margin: 0; }\n html { margin: 0; }\n`,
    },
    { path: 'logo.png', old_path: null, binary: true, truncated: false, patch: '' },
    {
      path: 'src/main.rs',
      old_path: null,
      binary: false,
      truncated: false,
      patch: `@@ -0,0 +1,3 @@\n+// Says hello to ${'every single member of the family, '.repeat(3)}and nobody else.\n+fn main() { let n = 42; println!("hello {n}"); }\n+\n`,
    },
  ],
};

/** The built app in the browser, signed in as USER, with the API played by `answer` (404 otherwise). */
async function mockedPage(t, answer) {
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
  await page.route('**/api/**', async (route) => {
    const url = new URL(route.request().url());
    const reply = (status, body) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    if (url.pathname === '/api/auth/me') return reply(200, USER);
    // `answer` hands back the reply it made, or undefined for a path it does not play.
    return answer(url, route.request(), reply) ?? reply(404, { error: 'not found' });
  });
  await page.routeWebSocket(/\/api\/ws\//, () => {});
  return { page, pageErrors, url: app.url };
}

test('the Changes tab shows a step diff at 390 px and undo asks first', { timeout: 90_000 }, async (t) => {
  const reverts = [];
  const { page, pageErrors, url: appUrl } = await mockedPage(t, (url, request, reply) => {
    const method = request.method();
    if (url.pathname === '/api/agents') return reply(200, []);
    if (url.pathname === '/api/projects/7' && method === 'GET') return reply(200, PROJECT);
    if (url.pathname === '/api/projects/7/commits') return reply(200, COMMITS);
    if (url.pathname === `/api/projects/7/commits/${SHA2}/diff`) return reply(200, DIFF);
    if (url.pathname === '/api/projects/7/steps/2/revert' && method === 'POST') {
      reverts.push(2);
      return reply(200, { step: 2, reverted: SHA2, commit: '3'.repeat(40) });
    }
    return undefined;
  });

  await page.goto(`${appUrl}/projects/7?tab=changes`);
  // The pull request opened at completion is linked from the project's page.
  const pr = page.getByRole('link', { name: 'Pull request' });
  await pr.waitFor();
  assert.equal(await pr.getAttribute('href'), PROJECT.remote.pull_request_url);
  assert.match(await page.getByTestId('remote').innerText(), /autocode\/hello-site pushed at completion/);
  await screenshotBoth(page, 'changes-00-pull-request-link');
  const card = page.locator('li', { has: page.getByRole('heading', { name: 'Step 2: Add a stylesheet with a very long selector list' }) });
  await card.getByRole('button', { name: 'Show changes' }).click();
  await page.getByText('+h1 { font-size: 2rem; }').waitFor();
  assert.ok(await page.getByText('Binary file: its contents are not shown.').isVisible());
  await screenshotBoth(page, 'changes-01-step-diff');
  // The long line wraps inside the screen rather than widening the page or the diff.
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="patch"]')].some((el) => el.scrollWidth > el.clientWidth),
  );
  assert.equal(wide, false, 'a diff scrolls sideways at 390 px');
  // Code has its colours: Rust's keywords, strings, numbers and comments, each once here.
  const rust = page.locator('details', { hasText: 'src/main.rs' });
  const tokens = await rust.locator('[data-token]').evaluateAll((els) => els.map((e) => `${e.dataset.token}:${e.textContent}`));
  assert.deepEqual(tokens.slice(1), ['keyword:fn', 'keyword:let', 'number:42', 'string:"hello {n}"']);
  assert.match(tokens[0], /^comment:\/\/ Says hello/);
  const colours = await rust.locator('[data-token="keyword"]').first().evaluate((e) => getComputedStyle(e).color);
  assert.notEqual(colours, await rust.locator('[data-testid="patch"] > div').nth(2).evaluate((e) => getComputedStyle(e).color));
  await screenshotBoth(page, 'changes-03-syntax-colours');

  await card.getByRole('button', { name: 'Undo this step' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  const text = await dialog.innerText();
  assert.match(text, /Undo step 2 \(Add a stylesheet/);
  assert.match(text, /logo\.png/);
  await screenshotBoth(page, 'changes-02-undo-confirm');
  assert.deepEqual(reverts, [], 'nothing is undone before the confirmation');
  await dialog.getByRole('button', { name: 'Yes, undo step 2' }).click();
  await until('the revert call', () => reverts.length === 1);
  assert.deepEqual(pageErrors, []);
});

test('a new project can be cloned from a repository and pushed back', { timeout: 90_000 }, async (t) => {
  const created = [];
  const made = { ...PROJECT, id: 8, remote: { ...PROJECT.remote, pull_request_url: null } };
  const { page, pageErrors, url: appUrl } = await mockedPage(t, (url, request, reply) => {
    if (url.pathname === '/api/agents') return reply(200, [{ id: 1, name: 'Builder' }]);
    if (url.pathname === '/api/agents/1/projects' && request.method() === 'POST') {
      created.push(request.postDataJSON());
      // The daemon's answer to a repository it cannot clone: a 422 naming the field.
      if (created.length === 1) {
        const reason = 'git could not clone it: repository not found';
        return reply(422, { error: `invalid repo_url: ${reason}`, detail: { field: 'repo_url', reason } });
      }
      return reply(201, made);
    }
    if (url.pathname === '/api/projects/8') return reply(200, made);
    return undefined;
  });

  await page.goto(`${appUrl}/agents/1/projects/new`);
  await page.getByLabel('Name').fill('Hello site');
  await page.getByLabel('Goal').fill('A static page that says hello.');
  await page.getByLabel('Clone from').fill('https://github.com/alice/hello-site.git');
  await page.getByLabel('Push the branch back').selectOption('at_completion');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByText('Git could not clone it: repository not found').first().waitFor();
  await screenshotBoth(page, 'changes-04-clone-refused');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.waitForURL('**/projects/8');
  assert.equal(created.length, 2);
  assert.equal(created[1].repo_url, 'https://github.com/alice/hello-site.git');
  assert.equal(created[1].push, 'at_completion');
  assert.match(await page.getByTestId('remote').innerText(), /pushed at completion/);
  assert.equal(await page.getByRole('link', { name: 'Pull request' }).count(), 0, 'no link before a pull request exists');
  assert.deepEqual(pageErrors, []);
});
