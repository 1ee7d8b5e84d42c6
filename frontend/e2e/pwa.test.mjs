// Installability: the manifest has what browsers require, the icons are real PNGs of the stated
// sizes, the service worker takes control, and the shell loads offline and says it is offline,
// while API requests are never answered from the cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daemonAvailable, launchBrowser, screenshotBoth, startApp, startPreview, until } from './harness.mjs';

/** The real daemon when it is built; otherwise `vite preview` of dist/ (the same files it embeds). */
function serveApp() {
  return daemonAvailable() ? startApp('pwa') : startPreview(null);
}

function pngSize(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...bytes.subarray(0, 8)], signature, 'PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return `${view.getUint32(16)}x${view.getUint32(20)}`;
}

test('the manifest and icons meet the installability criteria', { timeout: 60_000 }, async (t) => {
  const app = await serveApp();
  t.after(() => app.stop());

  const html = await (await fetch(`${app.url}/`)).text();
  const href = html.match(/<link rel="manifest" href="([^"]+)"/)?.[1];
  assert.ok(href, 'index.html links a manifest');
  const res = await fetch(new URL(href, app.url));
  assert.equal(res.status, 200);
  const manifest = await res.json();
  assert.equal(manifest.name, 'AutoCode');
  assert.ok(manifest.short_name);
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.start_url, '/');
  assert.match(manifest.theme_color, /^#[0-9a-f]{6}$/i);
  assert.match(manifest.background_color, /^#[0-9a-f]{6}$/i);

  const seen = new Set();
  for (const icon of manifest.icons) {
    const bytes = new Uint8Array(await (await fetch(new URL(icon.src, app.url))).arrayBuffer());
    assert.equal(pngSize(bytes), icon.sizes, `${icon.src} is really ${icon.sizes}`);
    seen.add(`${icon.sizes}/${icon.purpose ?? 'any'}`);
  }
  for (const needed of ['192x192/any', '512x512/any', '512x512/maskable']) assert.ok(seen.has(needed), `icon ${needed}`);

  // A client route must get the app shell too (SPA fallback), so a deep link opens the app.
  const deep = await fetch(`${app.url}/projects/1?tab=logs`);
  assert.equal(deep.status, 200);
  assert.match(await deep.text(), /<div id="root"/);
});

test('the service worker takes control and the shell loads offline', { timeout: 90_000 }, async (t) => {
  const app = await serveApp();
  t.after(() => app.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  page.setDefaultTimeout(15_000);

  await page.goto(`${app.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, `${app.url}/`);
  await page.reload();
  await until('the service worker to control the page', () => page.evaluate(() => navigator.serviceWorker.controller !== null), 15_000);

  await browser.context.setOffline(true);
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByText('You are offline.').waitFor();
  await screenshotBoth(page, '00-offline');

  // The worker must not answer the API from its cache: offline, API calls fail.
  const apiOffline = await page.evaluate(async () => {
    try {
      const res = await fetch('/api/health');
      return `answered ${res.status}`;
    } catch {
      return 'failed';
    }
  });
  assert.equal(apiOffline, 'failed');

  const cached = await page.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
  });
  assert.ok(cached.includes('/index.html'), `the shell is cached: ${cached.join(', ')}`);
  assert.deepEqual(
    cached.filter((path) => path.startsWith('/api')),
    [],
    'no API response is cached',
  );
});
