// What the browser tests share: start the real `autocode` daemon on a free loopback port with a
// temporary data dir, drive Debian's Chromium through playwright-core, save screenshots, and clean
// up only what was started here (the daemon by pid, the temp dirs, the browser).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(FRONTEND, 'test-output');
export const SCREENSHOTS = join(OUTPUT, 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const DAEMON_BIN = resolve(FRONTEND, process.env.AUTOCODE_BIN ?? '../target/debug/autocode');
export const ADMIN_PASSWORD = 'admin-e2e-password';

export const VIEWPORTS = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
};

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function until(what, check, timeoutMs = 15_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      if (error?.fatal) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export function daemonAvailable() {
  return existsSync(DAEMON_BIN);
}

/**
 * Starts `vite preview` of dist/ with /api proxied to `apiUrl`: the same files the daemon embeds,
 * for running the browser tests against a daemon built without the web app.
 */
export async function startPreview(apiUrl) {
  if (!existsSync(join(FRONTEND, 'dist', 'index.html'))) throw new Error('frontend/dist is missing: run `npm run build` first');
  const port = await freePort();
  const child = spawn(process.execPath, [join(FRONTEND, 'node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: FRONTEND,
    env: { ...process.env, AUTOCODE_DEV_API: apiUrl ?? 'http://127.0.0.1:9' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await until('vite preview to exit', () => child.exitCode !== null || child.signalCode !== null, 10_000);
    }
  };
  try {
    await until('vite preview to serve', async () => (await fetch(url)).ok, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

/**
 * The app under test: the real daemon serving its embedded web app, or, with
 * AUTOCODE_E2E_FRONTEND=preview, the daemon's API behind `vite preview` of dist/.
 */
export async function startApp(name, options = {}) {
  const daemon = await startDaemon(name, options);
  if (process.env.AUTOCODE_E2E_FRONTEND === 'preview') {
    try {
      const preview = await startPreview(daemon.url);
      return { url: preview.url, apiUrl: daemon.url, dataDir: daemon.dataDir, stop: async () => (await preview.stop(), await daemon.stop()) };
    } catch (error) {
      await daemon.stop();
      throw error;
    }
  }
  const html = await (await fetch(`${daemon.url}/`)).text();
  if (!html.includes('<div id="root"')) {
    await daemon.stop();
    throw new Error(
      `${DAEMON_BIN} serves its placeholder page, not the web app: build the frontend and then the daemon, or set AUTOCODE_E2E_FRONTEND=preview`,
    );
  }
  return { url: daemon.url, apiUrl: daemon.url, dataDir: daemon.dataDir, stop: daemon.stop };
}

/**
 * Starts `autocode serve` and waits for /api/health. Returns { url, dataDir, stop }.
 * `options.config` becomes the data dir's autocode.toml; `options.env` is added to the daemon's
 * environment.
 */
export async function startDaemon(name = 'daemon', options = {}) {
  mkdirSync(OUTPUT, { recursive: true });
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'autocode-e2e-'));
  if (options.config) writeFileSync(join(dataDir, 'autocode.toml'), options.config);
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(join(OUTPUT, `${name}.log`));
  const child = spawn(DAEMON_BIN, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`], {
    env: {
      ...process.env,
      ...options.env,
      AUTOCODE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AUTOCODE_PUBLIC_URL: url,
      RUST_LOG: process.env.RUST_LOG ?? 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });

  const stop = async () => {
    if (exited === null && child.pid) {
      child.kill('SIGTERM');
      try {
        await until('the daemon to exit', () => exited !== null, 10_000);
      } catch {
        child.kill('SIGKILL');
        await until('the daemon to die', () => exited !== null, 5_000);
      }
    }
    // The CLIs run in the daemon's tmux server, which outlives the daemon by design.
    await killTmuxServer(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    await until(
      `${DAEMON_BIN} to answer /api/health (see test-output/${name}.log)`,
      async () => {
        if (exited !== null) {
          throw Object.assign(new Error(`the daemon exited early (${JSON.stringify(exited)}); see test-output/${name}.log`), { fatal: true });
        }
        const res = await fetch(`${url}/api/health`);
        return res.ok;
      },
      30_000,
      150,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDir, stop };
}

/** A Chromium with a fresh profile (no cached service worker or storage from earlier runs). */
export async function launchBrowser(viewport = VIEWPORTS.phone) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'autocode-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Saves the page at the phone and desktop sizes into test-output/screenshots/, and fails if the
 * phone layout scrolls sideways (the one layout bug a person notices at once on a phone).
 */
export async function screenshotBoth(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  // From the top: a full-page capture of a scrolled page draws the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const [label, size] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150); // let layout and fonts settle after the resize
    if (label === 'phone') {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) throw new Error(`${name}: the phone layout is ${overflow}px wider than the screen`);
    }
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
  }
  if (before) await page.setViewportSize(before);
}

/** Calls the API directly (for setup the test is not about), with a bearer token if given. */
export async function apiCall(base, method, path, body, token) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The daemon's own tmux server (where the CLIs run); it outlives the daemon by design. */
export function tmuxSocket(dataDir) {
  return join(dataDir, 'tmux.sock');
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills only the daemon's tmux server (its own socket), never the default one, and waits for
 * the programs in its panes to exit: a CLI still exiting would write into the data dir after it
 * was removed.
 */
export async function killTmuxServer(dataDir) {
  const sock = tmuxSocket(dataDir);
  if (!existsSync(sock)) return;
  const listed = spawnSync('tmux', ['-S', sock, 'list-panes', '-a', '-F', '#{pane_pid}'], { encoding: 'utf8', timeout: 10_000 });
  const pids = (listed.stdout ?? '').split('\n').map(Number).filter((pid) => pid > 0);
  spawnSync('tmux', ['-S', sock, 'kill-server'], { stdio: 'ignore', timeout: 10_000 });
  try {
    await until('the programs in the tmux panes to exit', () => pids.every((pid) => !alive(pid)), 10_000);
  } catch {
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  }
}

/** The pane's text (for failure reports); empty when there is none. */
export function capturePane(dataDir, session) {
  if (!session) return '';
  const out = spawnSync('tmux', ['-S', tmuxSocket(dataDir), 'capture-pane', '-p', '-t', session], { encoding: 'utf8', timeout: 10_000 });
  return out.stdout ?? '';
}
