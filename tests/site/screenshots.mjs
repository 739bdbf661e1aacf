// Takes the screenshots a reviewer looks at (not a test): light, dark, Chinese, English, phone,
// a formula tip, inference, recommendation and the embedding page.
// Usage: node tests/site/screenshots.mjs [out-dir]   (default /tmp/llm-sizer-shots)
import { mkdirSync } from 'node:fs';
import { launch, newPage, startServer } from './helpers.mjs';

const out = process.argv[2] ?? '/tmp/llm-sizer-shots';
mkdirSync(out, { recursive: true });
const server = await startServer();
const browser = await launch();
const wide = { viewport: { width: 1280, height: 900 } };
const shots = [
  ['en-light', '', { ...wide, colorScheme: 'light' }],
  ['en-dark', '', { ...wide, colorScheme: 'dark' }],
  ['zh-light', 'view=infer&model=meta-llama%2FLlama-3.1-70B&gpu=h100-sxm-80gb&tensor_parallel_size=2', { ...wide, locale: 'zh-CN', colorScheme: 'light' }],
  ['zh-dark', '', { ...wide, locale: 'zh-CN', colorScheme: 'dark' }],
  ['mobile', 'method=full&model=Qwen%2FQwen2.5-7B', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }],
  ['infer', 'view=infer&model=Qwen%2FQwen2.5-32B&gpu=l40s&quantization=awq-int4', wide],
  ['recommend', 'view=recommend', wide],
  ['error', 'lora.r=0', wide],
];
for (const [name, hash, options] of shots) {
  const { page, context } = await newPage(browser, options);
  await page.goto(server.url + (hash ? `#${hash}` : ''));
  await page.waitForSelector('html[data-ready="1"]');
  await page.waitForTimeout(400);
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: !/dark|mobile/.test(name) });
  if (name === 'mobile') {
    await page.locator('#results').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${out}/mobile-results.png` });
  }
  if (name === 'en-light') {
    await page.locator('[data-testid="component-activations"] button').focus();
    await page.screenshot({ path: `${out}/tip.png` });
  }
  await context.close();
}
const { page, context } = await newPage(browser, wide);
await page.goto(`${server.url}embed-example.html`);
await page.frameLocator('#f-infer').locator('[data-testid="total-memory"]').waitFor();
await page.waitForTimeout(400);
await page.screenshot({ path: `${out}/embed.png`, fullPage: true });
await context.close();
await browser.close();
server.close();
console.log(`screenshots in ${out}`);
