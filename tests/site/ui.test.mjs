// Dark mode, the mobile layout, keyboard navigation and a visible focus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, suite } from './helpers.mjs';

const s = suite();
const bg = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
const dark = (rgb) => rgb.match(/\d+/g).slice(0, 3).map(Number).reduce((a, b) => a + b) < 150;

test('dark mode follows the system and the theme toggle overrides it', async () => {
  const d = await open(s, '', { colorScheme: 'dark' });
  assert.ok(dark(await bg(d.page)), `dark background, got ${await bg(d.page)}`);
  const toggle = d.page.locator('[data-testid="theme-toggle"]');
  await toggle.click();   // auto -> light
  assert.ok(!dark(await bg(d.page)));
  assert.match(await toggle.textContent(), /Light/);
  await toggle.click();   // light -> dark
  assert.ok(dark(await bg(d.page)));
  await d.page.reload();
  await d.page.waitForSelector('html[data-ready="1"]');
  assert.equal(await d.page.getAttribute('html', 'data-theme'), 'dark', 'remembered');
  await d.context.close();
  const l = await open(s, '', { colorScheme: 'light' });
  assert.ok(!dark(await bg(l.page)));
  await l.context.close();
});

test('on a phone the layout is one column with no horizontal scrolling', async () => {
  const { page, context } = await open(s, '', { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const [form, results] = await Promise.all(['#form', '#results'].map((q) => page.locator(q).boundingBox()));
  assert.ok(results.y > form.y + form.height - 1, 'results below the form');
  assert.ok(Math.abs(form.width - results.width) < 2, 'same width');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), 'no horizontal scroll');
  // The charts are stacked too and fit the screen.
  await page.locator('[data-testid="chart-seq"] svg').waitFor();
  const chart = await page.locator('[data-testid="chart-seq"] svg').boundingBox();
  assert.ok(chart.width <= 375);
  await context.close();
});

test('everything is reachable by keyboard, tabs follow the arrow keys, and focus is visible', async () => {
  const { page, context } = await open(s);
  // The skip link comes first and jumps to the results.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  const reached = new Set();
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement;
      const st = getComputedStyle(a);
      if (a === document.body) return null;
      return { id: a.dataset.testid ?? (a.id || `${a.tagName}.${a.className}:${a.textContent.slice(0, 20)}`), outline: st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2 };
    });
    if (!el) break;   // past the last control
    reached.add(el.id);
    assert.ok(el.outline, `visible focus on ${el.id}`);
  }
  for (const id of ['lang-toggle', 'unit-toggle', 'theme-toggle', 'tab-train', 'input-model', 'input-gpu', 'input-method', 'input-seq_len', 'copy-link'])
    assert.ok(reached.has(id), `${id} reachable (${[...reached].join(' ')})`);
  // Arrow keys move between tabs (roving tabindex).
  await page.locator('[data-testid="tab-train"]').focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-infer');
  assert.equal(await page.locator('[data-testid="tab-infer"]').getAttribute('aria-selected'), 'true');
  await page.locator('[data-testid="component-kv_cache"]').waitFor();
  await page.keyboard.press('End');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-recommend');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'tab-train');
  // Enter on a form field does not reload the page.
  await page.locator('[data-testid="input-seq_len"]').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('4096');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.includes('seq_len=4096'));
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'input-seq_len');
  await context.close();
});
