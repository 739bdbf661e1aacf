// The page loads the wasm module and shows the per-GPU total of the default request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newPage, startServer } from './helpers.mjs';

let server;
let browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); server?.close(); });

test('first page shows the per-GPU total computed in wasm', async () => {
  const { page, external, errors, context } = await newPage(browser);
  await page.goto(server.url);
  const total = page.locator('[data-testid="total-memory"]');
  await total.filter({ hasText: /GiB/ }).waitFor({ timeout: 10000 });
  assert.match(await total.textContent(), /^\d+(\.\d+)? GiB$/);
  assert.ok(await page.locator('[data-testid="component-weights"]').count() === 1);
  assert.deepEqual(external, [], 'no request may leave loopback');
  assert.deepEqual(errors, []);
  await context.close();
});
