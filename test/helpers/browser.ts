import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import { repoRoot } from './paths.js';
import { makeTempDir } from './tmp.js';

/** Debian's Chromium (scripts/ensure-test-deps.mjs installs it); playwright-core never downloads one. */
export const CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  browser: Browser;
  /** Closes the browser; kills its process group if it does not close. Safe to call twice. */
  close(): Promise<void>;
}

/** The built console (npm ci / npm run build); browser tests need it. */
export function assertConsoleBuilt(): void {
  const index = path.join(repoRoot, 'console', 'dist', 'index.html');
  if (!fs.existsSync(index)) throw new Error(`${index} is missing: build the console first (npm run build:console)`);
}

/**
 * A headless Chromium in its own process group (launchServer), with its profile in a temp dir of
 * this test file, so a test that fails half-way still ends every browser process.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const tmp = makeTempDir('chromium');
  const server: BrowserServer = await chromium.launchServer({
    executablePath: CHROMIUM, headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, TMPDIR: tmp },
  });
  const pid = server.process().pid;
  const browser = await chromium.connect(server.wsEndpoint());
  let closed: Promise<void> | undefined;
  return {
    browser,
    close: () => {
      closed ??= (async () => {
        await browser.close().catch(() => {});
        await Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 5000))]).catch(() => {});
        if (pid) {
          try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      })();
      return closed;
    },
  };
}
