// Benchmark: a transcript line written → shown in the browser's Conversation tab.
//
//   node e2e/conversation.bench.mjs [lines=300]
//
// The real daemon (target/debug/autocode, or AUTOCODE_BIN) and headless Chromium at 390×844; no
// CLI: this script plays Claude Code's part and appends prompt lines to the project's session
// file, where the CLI would, each embedding the wall-clock time it was written. In the page a
// MutationObserver notes when each line's text appears; the difference is the latency (same
// machine, same clock). Lines come 20–120 ms apart, as a busy turn writes them. Prints p50,
// p90, p99 and max.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PASSWORD, apiCall, launchBrowser, startDaemon, until } from './harness.mjs';
import { login } from './pages.mjs';

const LINES = Number(process.argv[2] ?? 300);
const SESSION = '0b5e7c1a-2f3d-4e5f-8a9b-0c1d2e3f4a5b';

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const daemon = await startDaemon('conversation-bench');
const browser = await launchBrowser();
try {
  const admin = await apiCall(daemon.url, 'POST', '/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  await apiCall(daemon.url, 'POST', '/api/users', { username: 'alice', password: 'alice-password' }, admin.body.access_token);
  const token = (await apiCall(daemon.url, 'POST', '/api/auth/login', { username: 'alice', password: 'alice-password' })).body.access_token;
  const agent = await apiCall(daemon.url, 'POST', '/api/agents', { name: 'Bench', model: 'm', llm_provider: 'custom', llm_base_url: 'http://127.0.0.1:9/v1' }, token);
  const project = (
    await apiCall(daemon.url, 'POST', `/api/agents/${agent.body.id}/projects`, { name: 'Bench', description: 'x', implementation_plan: [] }, token)
  ).body;
  // Where Claude Code keeps this workspace's sessions: the member's config home, the path with
  // every non-alphanumeric character turned into '-'.
  const folder = join(daemon.dataDir, 'users/alice/config/claude/projects', project.workspace_path.replace(/[^a-zA-Z0-9]/g, '-'));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${SESSION}.jsonl`);
  const line = (i, text) =>
    `${JSON.stringify({ type: 'user', uuid: `bench-${i}`, timestamp: new Date().toISOString(), message: { role: 'user', content: text } })}\n`;
  appendFileSync(file, line('start', 'bench starts'));

  const page = await browser.context.newPage();
  await page.goto(`${daemon.url}/`);
  await login(page, 'alice', 'alice-password');
  await page.goto(`${daemon.url}/projects/${project.id}?tab=conversation`);
  await page.getByText('bench starts').waitFor();
  await page.evaluate(() => {
    window.seen = {};
    new MutationObserver(() => {
      const now = Date.now();
      for (const el of document.querySelectorAll('[data-kind="prompt"]')) {
        const m = /bench-line (\d+) written (\d+)/.exec(el.textContent ?? '');
        if (m && !(m[1] in window.seen)) window.seen[m[1]] = now - Number(m[2]);
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  });

  for (let i = 0; i < LINES; i++) {
    appendFileSync(file, line(i, `bench-line ${i} written ${Date.now()}`));
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 100));
  }
  await until('every line in the page', async () => (await page.evaluate(() => Object.keys(window.seen).length)) === LINES, 30_000);
  const latencies = Object.values(await page.evaluate(() => window.seen)).sort((a, b) => a - b);
  console.log(
    `${LINES} lines: written → shown p50 ${percentile(latencies, 50)} ms, p90 ${percentile(latencies, 90)} ms, ` +
      `p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms`,
  );
} finally {
  await browser.close();
  await daemon.stop();
}
