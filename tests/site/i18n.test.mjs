// Chinese and English: the browser's language decides, the toggle switches (and sets
// <html lang>), the choice is remembered; both tables hold the same keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { open, suite, text } from './helpers.mjs';
import { FIELDS } from '../../site/fields.js';

const s = suite();
const en = (await import('../../site/i18n-en.js')).default;
const zh = (await import('../../site/i18n-zh.js')).default;

test('both string tables have the same keys, and every field has a label in each', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const f of FIELDS) {
    assert.ok(en[`f.${f.id}`] && zh[`f.${f.id}`], `label for ${f.id}`);
    for (const o of f.o ?? []) assert.equal(`o.${f.id}.${o}` in en, `o.${f.id}.${o}` in zh);
  }
  for (const [k, v] of Object.entries(zh)) {
    assert.deepEqual([...v.matchAll(/\{\w+\}/g)].map(String).sort(), [...en[k].matchAll(/\{\w+\}/g)].map(String).sort(), `placeholders of ${k}`);
  }
});

test('every string key the code and the HTML use exists', async () => {
  const used = new Set();
  for (const f of ['app.js', 'view.js', 'widget.js', 'index.html']) {
    const src = await readFile(new URL(`../../site/${f}`, import.meta.url), 'utf8');
    for (const [, k] of src.matchAll(/\bt\('([\w.]+)'/g)) used.add(k);
    for (const [, k] of src.matchAll(/data-i18n="([\w.]+)"/g)) used.add(k);
  }
  assert.ok(used.size > 40);
  for (const k of used) assert.ok(k in en, `missing ${k}`);
});

test('the browser\'s language picks the table: zh-CN gets Chinese, en-US English', async () => {
  const z = await open(s, '', { locale: 'zh-CN' });
  assert.equal(await z.page.getAttribute('html', 'lang'), 'zh-CN');
  assert.equal(await text(z.page, 'tab-train'), '训练');
  assert.match(await text(z.page, 'fit-status'), /放得下|放不下/);
  assert.deepEqual(z.errors, []);
  await z.context.close();
  const e = await open(s, '', { locale: 'en-US' });
  assert.equal(await e.page.getAttribute('html', 'lang'), 'en');
  assert.equal(await text(e.page, 'tab-train'), 'Training');
  await e.context.close();
});

test('the toggle switches every string and the number format, and is remembered', async () => {
  const { page, context } = await open(s, 'model=meta-llama%2FLlama-3.1-70B');
  const toggle = page.locator('[data-testid="lang-toggle"]');
  assert.equal(await toggle.textContent(), '中文');
  await toggle.click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  assert.equal(await text(page, 'tab-infer'), '推理');
  assert.equal(await page.locator('label[for="f-seq_len"]').textContent(), '序列长度');
  assert.match(await text(page, 'model-info'), /亿 参数/);   // 70.6B written the Chinese way
  assert.equal(await toggle.textContent(), 'EN');
  await page.reload();
  await page.waitForSelector('html[data-ready="1"]');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'remembered');
  await toggle.click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.equal(await text(page, 'tab-infer'), 'Inference');
  await context.close();
});
