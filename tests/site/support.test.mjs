// The support panel: off by default; when config.js sets it, shown under a result only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { newPage, open, suite } from './helpers.mjs';

const s = suite();

test('no support panel unless configured', async () => {
  const { page, context } = await open(s);
  assert.equal(await page.locator('[data-testid="support-panel"]').count(), 0);
  await context.close();
});

test('a configured panel appears under a result, localized, and not with an error', async () => {
  const source = await readFile(new URL('../../site/config.js', import.meta.url), 'utf8');
  const configured = source.replace(/support: null/, `support: { title: { en: 'Like it?', zh: '觉得有用？' }, text: 'Thanks for using it.',
    links: [{ label: { en: 'Sponsor', zh: '赞助' }, href: 'https://example.org/sponsor' }, { label: 'bad', href: 'javascript:alert(1)' }] }`);
  assert.notEqual(configured, source);
  const { page, context } = await newPage(s.browser, { serviceWorkers: 'block' });
  await context.route('**/config.js', (route) => route.fulfill({ contentType: 'text/javascript', body: configured }));
  await page.goto(s.url);
  await page.waitForSelector('html[data-ready="1"]');
  const panel = page.locator('[data-testid="support-panel"]');
  await panel.waitFor();
  assert.match(await panel.textContent(), /Like it\?.*Thanks for using it\..*Sponsor/s);
  assert.equal(await panel.locator('a').count(), 1, 'only http(s) links');
  assert.equal(await panel.locator('a').getAttribute('href'), 'https://example.org/sponsor');
  await page.locator('[data-testid="lang-toggle"]').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="support-panel"]')?.textContent.includes('觉得有用'));
  // No result, no panel.
  await page.locator('[data-testid="input-lora.r"]').fill('0');
  await page.locator('[data-testid="result-error"]').waitFor();
  assert.equal(await panel.count(), 0);
  await context.close();
});
