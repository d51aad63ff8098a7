// Writes the explorer as one self-contained HTML file: the page's modules bundled into a
// single script by esbuild, the style sheet and icon inlined, and the WebAssembly embedded as
// base64, so the file opens from file:// by double-click, offline.
//   node single-file.mjs <site folder> <output .html>

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const [site, output] = process.argv.slice(2);
if (!site || !output) {
  console.error('usage: node single-file.mjs <site folder> <output .html>');
  process.exit(2);
}
const read = (file) => readFileSync(path.join(site, file));

const bundle = await build({
  entryPoints: [path.join(site, 'js', 'main.js')],
  bundle: true,
  format: 'iife',
  minify: true,
  target: 'es2022',
  write: false,
  logLevel: 'error',
});
// `</script` inside the script would end it early; esbuild escapes it in strings, this checks.
const script = bundle.outputFiles[0].text;
if (/<\/script/i.test(script)) throw new Error('the bundle contains </script');

const replaceOnce = (html, from, to) => {
  if (!html.includes(from)) throw new Error(`index.html no longer has ${from}`);
  return html.replace(from, () => to);
};
let html = read('index.html').toString();
html = replaceOnce(html, '<link rel="icon" href="favicon.svg" type="image/svg+xml">',
  `<link rel="icon" href="data:image/svg+xml;base64,${read('favicon.svg').toString('base64')}">`);
html = replaceOnce(html, '<link rel="stylesheet" href="style.css">', `<style>\n${read('style.css')}</style>`);
// A deferred classic script runs after parsing, as the module did.
html = replaceOnce(html, '<script type="module" src="js/main.js"></script>',
  `<script type="application/wasm;base64" id="poolkit-wasm">${read('poolkit_explorer.wasm').toString('base64')}</script>\n` +
  `<script>document.addEventListener('DOMContentLoaded', () => {\n${script}});</script>`);
writeFileSync(output, html);
console.log(`${output}: ${(html.length / 1024).toFixed(0)} KiB`);
