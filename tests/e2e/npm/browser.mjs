// The web page in headless Debian Chromium, driven by playwright-core: upload a fixture
// picture, run each mode, watch the answer stream in, ask a follow-up (the picture is
// encoded once), reload (history survives), drop a second picture, see an inline error,
// switch to Chinese and save screenshots.
// Usage: node browser.mjs BASE_URL IMAGES_DIR SCREENSHOT_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base, images, shots] = process.argv.slice(2);
fs.mkdirSync(shots, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'md-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  locale: 'en-US',
  viewport: { width: 1280, height: 860 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let passed = 0;
const step = async (name, fn) => {
  const t0 = Date.now();
  await fn();
  passed += 1;
  console.log(`ok ${passed} - ${name} (${Date.now() - t0} ms)`);
};
const metric = async (name) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = text.match(new RegExp(`^${name} ([0-9.e+]+)$`, 'm'));
  return m ? Number(m[1]) : NaN;
};

try {
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const lastTurn = () => page.locator('#conversation .turn').last();
  const waitDone = async () => {
    await page.waitForFunction(() => {
      const turns = document.querySelectorAll('#conversation .turn');
      const t = turns[turns.length - 1];
      return t && t.dataset.state !== 'running';
    }, null, { timeout: 60000 });
    assert.equal(await lastTurn().getAttribute('data-state'), 'done',
      `turn failed: ${await lastTurn().locator('.answer').textContent()}`);
    return (await lastTurn().locator('.answer').textContent()).trim();
  };

  await step('page loads, demo badge shown, English by locale', async () => {
    await page.goto(base);
    await page.waitForFunction(() => !document.getElementById('demo-badge').hidden);
    assert.equal(await page.locator('#btn-long').textContent(), 'Detailed description');
  });

  await step('inline error for a file that is no picture', async () => {
    await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.locator('#error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#error').textContent(), /not a picture/);
  });

  await step('upload a picture: preview shown', async () => {
    await page.setInputFiles('#file-input', path.join(images, 'scene_512x384.png'));
    await page.locator('#preview').waitFor({ state: 'visible' });
    assert.ok(await page.locator('#error').isHidden());
  });

  await step('short description streams in', async () => {
    await page.click('#btn-short');
    // The answer grows while the turn is running (streamed, not all at once).
    await page.waitForFunction(() => {
      const t = [...document.querySelectorAll('#conversation .turn')].pop();
      return t && t.querySelector('.answer').textContent.length > 0;
    }, null, { timeout: 30000 });
    const answer = await waitDone();
    assert.ok(answer.length > 0);
  });

  await step('detailed description', async () => {
    await page.click('#btn-long');
    const answer = await waitDone();
    assert.ok(answer.length > 0);
  });

  await step('a question, then a follow-up on the same picture', async () => {
    await page.fill('#question', 'What colour is the sky?');
    await page.click('#btn-ask');
    assert.ok((await waitDone()).length > 0);
    await page.fill('#question', 'And the ground?');
    await page.press('#question', 'Enter');
    assert.ok((await waitDone()).length > 0);
    assert.equal(await page.locator('#conversation .turn').count(), 4);
    // Four requests, one picture: the encoder ran once, the cache served the rest.
    assert.equal(await metric('md_image_cache_misses_total'), 1);
    assert.ok(await metric('md_image_cache_hits_total') >= 3);
  });

  await step('copy button', async () => {
    await lastTurn().locator('.copy').click();
    await page.waitForFunction(() => [...document.querySelectorAll('.turn .copy')].pop().textContent === 'Copied');
  });

  await step('history survives a reload', async () => {
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#conversation .turn').length === 4, null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelectorAll('#history-list li').length >= 1);
    assert.ok(await page.locator('#preview').isVisible());
  });

  await step('a screenshot in English', async () => {
    await page.screenshot({ path: path.join(shots, 'page-en.png'), fullPage: true });
  });

  await step('drop a second picture, new conversation', async () => {
    const bytes = fs.readFileSync(path.join(images, 'portrait_320x480.jpg')).toString('base64');
    await page.evaluate(async (b64) => {
      const blob = await (await fetch(`data:image/jpeg;base64,${b64}`)).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], 'portrait.jpg', { type: 'image/jpeg' }));
      const zone = document.getElementById('drop-zone');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, bytes);
    await page.waitForFunction(() => document.querySelectorAll('#conversation .turn').length === 0);
    await page.click('#btn-short');
    assert.ok((await waitDone()).length > 0);
    await page.waitForFunction(() => document.querySelectorAll('#history-list li').length === 2);
  });

  await step('switch to Chinese', async () => {
    await page.click('#lang-switch');
    assert.equal(await page.locator('#btn-long').textContent(), '详细描述');
    assert.equal(await page.locator('#btn-short').textContent(), '简短描述');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    // Back to the first picture's conversation from the history.
    await page.locator('#history-list li').last().click();
    await page.waitForFunction(() => document.querySelectorAll('#conversation .turn').length === 4);
    await page.fill('#question', 'Is there a sun?');
    await page.click('#btn-ask');
    assert.ok((await waitDone()).length > 0);
    await page.screenshot({ path: path.join(shots, 'page-zh.png'), fullPage: true });
  });

  await step('the choice of language is kept; phone-sized layout', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.waitForFunction(() => document.getElementById('btn-ask').textContent === '提问');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(overflow, false, 'the page scrolls sideways on a phone');
    await page.screenshot({ path: path.join(shots, 'page-phone-zh.png'), fullPage: false });
  });

  assert.deepEqual(consoleErrors, []);
  console.log(`browser: ${passed} passed, 0 failed; screenshots in ${shots}`);
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
