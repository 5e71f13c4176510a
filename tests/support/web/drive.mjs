// Drives the web dashboard in Debian's chromium (playwright-core, no browser
// download) for tests/e2e/web_test.sh. Usage:
//   node drive.mjs LOGIN_URL PLAN FILE_PATH RESTORE_TO SCREENSHOT_DIR
// FILE_PATH is "source/dir/name" inside the checkpoint. Prints one line of
// JSON with what it saw; exits 1 (with the reason on stderr) on a failure.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, plan, filePath, restoreTo, shots] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'cairn-chromium-'));
const seen = { states: [], consoleErrors: [] };
const step = (what) => process.stderr.write(`   browser: ${what}\n`);

// A fresh, empty profile (--user-data-dir) every time.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await context.newPage();
  // Replies with an error status are the page's business (it shows them); anything else
  // logged as an error (a script error, a CSP violation) fails the test.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => seen.consoleErrors.push(String(e)));
  const shoot = async (name) => {
    for (const [label, width] of [['desktop', 1280], ['phone', 390]]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      await page.screenshot({ path: join(shots, `${name}-${label}.png`), fullPage: true });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      if (wide > width) throw new Error(`${name} is ${wide} px wide at ${width} px (it scrolls sideways)`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  };

  step('sign in with the one-time URL');
  await page.goto(url);
  const card = page.locator(`article.plan[data-plan="${plan}"]`);
  await card.waitFor({ timeout: 30000 });
  if (page.url().includes('token=')) throw new Error('the token stayed in the address: ' + page.url());
  seen.plans = await page.locator('article.plan h2').allTextContents();
  await shoot('overview');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shoot('overview-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  step('start a run and watch its progress bar');
  await card.locator('button[data-action="run-now"]').click();
  const box = card.locator('.progress');
  const deadline = Date.now() + 60000;
  for (;;) {
    const state = await box.getAttribute('data-state');
    if (seen.states[seen.states.length - 1] !== state) seen.states.push(state);
    if (state === 'running') {
      // The last detail seen while running (the text may already say done
      // while data-state still says running: keep the detail, not that).
      const text = await box.innerText();
      if (/read/.test(text) || !seen.runningText) seen.runningText = text;
      if (!seen.runningShot) {
        await shoot('overview-running');
        seen.runningShot = true;
        await card.locator('button[data-action="pause"]').click();
      }
    }
    if (state === 'paused' && !seen.pausedText) {
      seen.pausedText = await box.innerText();
      await shoot('overview-paused');
      await card.locator('button[data-action="resume"]').click();
    }
    if (state === 'done' || state === 'failed') break;
    if (Date.now() > deadline) throw new Error('the run did not end in 60 s; states: ' + seen.states.join(','));
    await page.waitForTimeout(100);
  }
  seen.finalText = await box.innerText();
  seen.barValue = await box.locator('progress').evaluate((p) => p.value);

  step('history');
  await page.goto(url.replace(/#.*/, '#history'));
  await page.locator(`#history-plan option[value="${plan}"]`).waitFor({ state: 'attached', timeout: 30000 });
  await page.selectOption('#history-plan', plan);
  await page.locator('#runs-chart svg rect').first().waitFor({ timeout: 30000 });
  seen.historyBars = await page.locator('#runs-chart svg rect').count();
  await page.locator('#checkpoints-chart svg path').first().waitFor({ timeout: 30000 });
  await shoot('history');

  step('browse the new checkpoint');
  await page.goto(url.replace(/#.*/, '#browse'));
  const parts = filePath.split('/');
  for (const dir of parts.slice(0, -1)) {
    await page.locator('#entries tr[data-name]').first().waitFor({ timeout: 30000 });
    await page.locator(`#entries tr[data-name="${dir}"] td.name a`).click();
  }
  const row = page.locator(`#entries tr[data-name="${parts[parts.length - 1]}"]`);
  await row.waitFor({ timeout: 30000 });
  seen.rowText = await row.innerText();
  seen.entries = await page.locator('#entries tr[data-name]').count();
  seen.diffSummary = await page.locator('#diff-summary').innerText();
  await shoot('browse');

  step('restore one file through the page');
  await row.locator('button[data-action="restore"]').click();
  await page.fill('#restore-to', restoreTo);
  await page.locator('#restore-form button[type="submit"]').click();
  const restoreState = page.locator('#restore-state');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.querySelector('#restore-state').dataset.state),
    null, { timeout: 30000 });
  seen.restoreState = await restoreState.getAttribute('data-state');
  seen.restoreText = await restoreState.innerText();
  await shoot('restore');
  console.log(JSON.stringify(seen));
} catch (e) {
  process.stderr.write(`drive.mjs: ${e.message}\n${JSON.stringify(seen)}\n`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
