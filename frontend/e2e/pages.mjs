// Page steps the browser tests share: moving around the app as a person does, and the report
// of a failed run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT, apiCall, capturePane, launchBrowser } from './harness.mjs';

/**
 * A fresh browser page for test `t` (closed when it ends), with the page's uncaught errors and,
 * for the failure report, what the app logged and what its sockets did.
 */
export async function openPage(t) {
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const browserLog = [];
  page.on('console', (m) => browserLog.push(`console.${m.type()}: ${m.text()}`));
  page.on('websocket', (ws) => {
    const path = new URL(ws.url()).pathname;
    browserLog.push(`ws open ${path}`);
    ws.on('close', () => browserLog.push(`ws close ${path}`));
    ws.on('socketerror', (e) => browserLog.push(`ws error ${path}: ${e}`));
    ws.on('framereceived', (f) =>
      browserLog.push(`ws ${path} <- ${typeof f.payload === 'string' ? f.payload.slice(0, 200) : `${f.payload.length} bytes`}`),
    );
  });
  page.setDefaultTimeout(15_000);
  return { page, pageErrors, browserLog };
}

/** Opens a sidebar entry; on a phone the sidebar sits behind the menu button. */
export async function nav(page, name) {
  const menu = page.getByRole('button', { name: 'Open menu' });
  if (await menu.isVisible()) await menu.click();
  const main = page.getByRole('navigation', { name: 'Main' }).filter({ visible: true });
  await main.getByRole(name === 'Log out' ? 'button' : 'link', { name, exact: true }).click();
}

export async function login(page, username, password) {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}

/**
 * What the xterm.js terminal shows. xterm.js stops rendering while it is off screen, and on a
 * phone the terminal is below the fold (screenshots scroll too), so bring it into view first.
 */
export async function terminalText(page) {
  await page.locator('.xterm').scrollIntoViewIfNeeded();
  return (await page.locator('.xterm-rows').textContent()) ?? '';
}

/** Saves what a person would need to see why the run went wrong, as test-output/<name>.{png,txt}. */
export async function reportFailure(name, app, token, projectId, page, browserLog) {
  const parts = [];
  await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true }).catch(() => {});
  parts.push(`browser:\n${browserLog.join('\n')}`);
  // Whether a new terminal socket sees what the old one missed (a stalled stream vs. a stalled screen).
  if (projectId) {
    const fresh = await page.context().newPage();
    try {
      await fresh.goto(`${app.url}/projects/${projectId}?tab=terminal`);
      await fresh.locator('.xterm-rows').waitFor({ timeout: 10_000 });
      await fresh.waitForTimeout(2_000);
      await fresh.locator('.xterm').scrollIntoViewIfNeeded();
      parts.push(`a fresh terminal socket shows:\n${await fresh.locator('.xterm-rows').textContent()}`);
    } catch (e) {
      parts.push(`a fresh terminal socket: ${e.message}`);
    } finally {
      await fresh.close();
    }
  }
  if (projectId) {
    const project = await apiCall(app.apiUrl, 'GET', `/api/projects/${projectId}`, undefined, token).catch((e) => ({ body: String(e) }));
    const logs = await apiCall(app.apiUrl, 'GET', `/api/projects/${projectId}/logs?limit=1000`, undefined, token).catch(() => ({ body: [] }));
    parts.push(`project:\n${JSON.stringify(project.body, null, 2)}`);
    parts.push(`logs:\n${(Array.isArray(logs.body) ? logs.body : []).map((e) => `${e.level} ${e.message}`).join('\n')}`);
    parts.push(`pane:\n${capturePane(app.dataDir, project.body?.tmux_session)}`);
  }
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(join(OUTPUT, `${name}.txt`), parts.join('\n\n'));
}
