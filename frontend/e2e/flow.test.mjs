// The person's path through the real daemon: the admin creates a user; that user adds an API key,
// an agent and a project; a second user never sees it. Screenshots of every page go to
// test-output/screenshots/ at 390x844 and 1280x800.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PASSWORD, DAEMON_BIN, apiCall, daemonAvailable, launchBrowser, screenshotBoth, startApp } from './harness.mjs';

/** Opens a sidebar entry; on a phone the sidebar sits behind the menu button. */
async function nav(page, name) {
  const menu = page.getByRole('button', { name: 'Open menu' });
  if (await menu.isVisible()) await menu.click();
  const main = page.getByRole('navigation', { name: 'Main' }).filter({ visible: true });
  await main.getByRole(name === 'Log out' ? 'button' : 'link', { name, exact: true }).click();
}

async function login(page, username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

test('admin creates a user, who adds a key, an agent and a project that another user cannot see', { timeout: 240_000 }, async (t) => {
  if (!daemonAvailable()) {
    t.skip(`no autocode binary at ${DAEMON_BIN} (cargo build, or set AUTOCODE_BIN)`);
    return;
  }
  const app = await startApp('flow');
  t.after(() => app.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.setDefaultTimeout(15_000);

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

  await nav(page, 'Settings');
  await page.getByLabel('Provider').selectOption('openai');
  await page.getByLabel('Label').fill('E2E key');
  await page.getByLabel('Key', { exact: true }).fill('sk-e2e-0123456789-wxyz');
  await page.getByRole('button', { name: 'Add key' }).click();
  await page.getByText('••••wxyz').waitFor();
  await screenshotBoth(page, '04-settings');

  await nav(page, '+ New Agent');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await page.getByText('Give the agent a name.').waitFor();
  await page.getByLabel('Name').fill('Builder');
  await page.getByLabel('Supervising model').fill('gpt-4o-mini');
  await page.getByLabel('Identity').fill('A careful engineer who writes tests first.');
  await screenshotBoth(page, '05-agent-builder');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await page.getByRole('heading', { name: 'Builder' }).waitFor();
  await page.getByText('No projects yet.').waitFor();
  await screenshotBoth(page, '06-agent');

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
  await screenshotBoth(page, '08-project-terminal');
  for (const tab of ['Logs', 'Description', 'Architecture']) {
    await page.getByRole('tab', { name: tab }).click();
    await page.getByRole('tab', { name: tab, selected: true }).waitFor();
    await screenshotBoth(page, `09-project-${tab.toLowerCase()}`);
  }
  await page.getByRole('tab', { name: 'Description' }).click();
  await page.getByText('A static page that says hello, with a test.').waitFor();

  await nav(page, 'Dashboard');
  await page.getByRole('link', { name: /Hello site/ }).waitFor();
  await screenshotBoth(page, '10-dashboard');

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
