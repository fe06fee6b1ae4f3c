import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => console.log('console', m.type(), m.text()));
await page.goto('file://' + process.argv[2]);
const sel = process.argv[4];
if (sel) await page.locator(sel).screenshot({ path: process.argv[3] });
else await page.screenshot({ path: process.argv[3], clip: { x: 0, y: Number(process.argv[5] ?? 0), width: 1280, height: 1200 } });
await browser.close();
