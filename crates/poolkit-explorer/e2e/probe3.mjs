import { chromium } from 'playwright-core';
const base = process.argv[2];
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless','--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run'] });
const ctx = await b.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
const p = await ctx.newPage();
const g = Array.from({length:16},(_,r)=>Array.from({length:16},(_,c)=>(r*16+c)%10).join(',')).join(';');
await p.goto(base + '#grid=' + g + (process.argv[3] || ''));
await p.waitForFunction(() => document.getElementById('explorer').dataset.busy === 'false' && Number(document.getElementById('explorer').dataset.renders) > 0);
console.log(await p.evaluate(() => {
  const out = [document.documentElement.scrollWidth, innerWidth];
  for (const el of document.querySelectorAll('main, main > *, .stage > *, .outputs > *, .panel > *, .grid-scroll, table.grid')) { const r = el.getBoundingClientRect(); if (r.width > 380) out.push(el.tagName + '#' + el.id + '.' + el.className + ' w=' + Math.round(r.width)); }
  return out.slice(0, 30).join('\n');
}));
await b.close();
