// The outside world of a project run, for the browser tests: the pinned Claude Code CLI, the mock
// Anthropic API (`autocode-mock`) and the mock supervising LLM (`autocode-mock-llm`), both
// started as processes on 127.0.0.1 with a JSON script, and stopped by pid.
import { spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DAEMON_BIN, FRONTEND, OUTPUT, daemonAvailable, until } from './harness.mjs';

const BIN_DIR = dirname(DAEMON_BIN);
export const MOCK_ANTHROPIC_BIN = resolve(FRONTEND, process.env.AUTOCODE_MOCK_BIN ?? join(BIN_DIR, 'autocode-mock'));
export const MOCK_LLM_BIN = resolve(FRONTEND, process.env.AUTOCODE_MOCK_LLM_BIN ?? join(BIN_DIR, 'autocode-mock-llm'));

/** The release the browser test drives (the one the screen fixtures were captured from). */
export const CLAUDE_VERSION = '2.1.197';
const TEST_TOOLS = resolve(FRONTEND, process.env.AUTOCODE_TEST_TOOLS ?? '../.test-tools');
export const CLAUDE_BIN = join(TEST_TOOLS, `claude-code-${CLAUDE_VERSION}`, 'node_modules', '.bin', 'claude');

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the run cannot happen here, or null when everything is installed. As in the Rust tests,
 * AUTOCODE_REQUIRE_CLI=1 (set by CI) turns a missing CLI into a failure instead of a skip.
 */
export function missingForRun() {
  const missing = [
    [CLAUDE_BIN, 'run scripts/install-test-tools.sh'],
    [MOCK_ANTHROPIC_BIN, 'cargo build --bins --features testkit'],
    [MOCK_LLM_BIN, 'cargo build --bins --features testkit'],
  ].filter(([path]) => !executable(path));
  if (missing.length === 0) return null;
  const why = missing.map(([path, fix]) => `${path} is missing (${fix})`).join('; ');
  if (process.env.AUTOCODE_REQUIRE_CLI) throw new Error(`AUTOCODE_REQUIRE_CLI is set but ${why}`);
  return why;
}

/**
 * Spawns a mock with its script in a temp file and waits for the port it prints on its first
 * line (`parsePort` reads it). Its output goes to test-output/<name>.log.
 */
async function startMock(name, bin, args, script, parsePort) {
  mkdirSync(OUTPUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), `autocode-${name}-`));
  const scriptPath = join(dir, 'script.json');
  writeFileSync(scriptPath, JSON.stringify(script, null, 2));
  const log = createWriteStream(join(OUTPUT, `${name}.log`));
  const child = spawn(bin, args(scriptPath), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' } });
  let exited = null;
  child.on('exit', (code, signal) => {
    exited = { code, signal };
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    log.write(chunk);
  });
  child.stderr.pipe(log);

  const stop = async () => {
    if (exited === null && child.pid) {
      child.kill('SIGTERM');
      try {
        await until(`${name} to exit`, () => exited !== null, 5_000);
      } catch {
        child.kill('SIGKILL');
        await until(`${name} to die`, () => exited !== null, 5_000);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const port = await until(
      `${name} to print its port (see test-output/${name}.log)`,
      () => {
        if (exited !== null) throw Object.assign(new Error(`${name} exited early (${JSON.stringify(exited)})`), { fatal: true });
        const line = stdout.split('\n').find((l, i, all) => i < all.length - 1 && l.trim());
        return line ? parsePort(line.trim()) : null;
      },
      15_000,
      50,
    );
    return { url: `http://127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The mock Anthropic Messages API; `script` as documented in src/testkit/mock_script.rs. */
export function startMockAnthropic(script) {
  return startMock('mock-anthropic', MOCK_ANTHROPIC_BIN, (path) => ['--script', path, '--port', '0'], script, (line) => {
    const port = Number(line);
    return Number.isInteger(port) && port > 0 ? port : null;
  });
}

/** The mock supervising LLM (OpenAI-compatible); `script` as documented in docs/mock-llm.md. */
export function startMockLlm(script) {
  return startMock('mock-llm', MOCK_LLM_BIN, (path) => [path, '0'], script, (line) => {
    const port = Number(/^PORT=(\d+)$/.exec(line)?.[1]);
    return port > 0 ? port : null;
  });
}

/** Why a project cannot be run here (the daemon, the CLI or a mock is missing), or null. */
export function skipReason() {
  if (!daemonAvailable()) return `no autocode binary at ${DAEMON_BIN} (cargo build, or set AUTOCODE_BIN)`;
  return missingForRun();
}

/**
 * Starts both mocks for test `t`; they are stopped when it ends. Null (and `t` skipped) when a
 * project cannot be run here.
 */
export async function startMocks(t, anthropicScript, llmScript) {
  const skip = skipReason();
  if (skip) {
    t.skip(skip);
    return null;
  }
  const anthropic = await startMockAnthropic(anthropicScript);
  t.after(() => anthropic.stop());
  const llm = await startMockLlm(llmScript);
  t.after(() => llm.stop());
  return { anthropic, llm };
}
