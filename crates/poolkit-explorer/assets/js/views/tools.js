// The teacher's tools: a link to exactly this view and an embed snippet for course pages,
// exports of the current numbers (CSV, SVG, PNG), a presentation mode and printing. Every
// number exported comes from the library's latest answer, exact in CSV, as shown in pictures.

import { heat, range, short } from '../format.js';

const $ = (id) => document.getElementById(id);

export class Tools {
  /** `latest()` gives the latest answer and settings: `{answer, settings}` or null. */
  constructor(latest) {
    this.latest = latest;
    $('share').addEventListener('click', () => this.toggleShare());
    $('copy-link').addEventListener('click', () => this.copy('share-link', 'The link is copied.'));
    $('copy-embed').addEventListener('click', () => this.copy('embed-code', 'The embed code is copied.'));
    $('export-csv').addEventListener('click', () => this.exportCsv());
    $('export-svg').addEventListener('click', () => this.exportSvg());
    $('export-png').addEventListener('click', () => this.exportPng());
    $('present').addEventListener('click', () => this.present());
    $('print').addEventListener('click', () => window.print());
    document.addEventListener('fullscreenchange', () => {
      if (!document.fullscreenElement && document.documentElement.dataset.present === 'true') this.present(false);
    });
  }

  /** Keeps the link and the embed code in step with the URL while the panel is open (every
   *  change calls this; a closed panel is filled when it opens). */
  refreshShare() {
    if ($('share-panel').hidden) return;
    const link = location.href;
    $('share-link').value = link;
    $('embed-code').value = `<iframe src="${escape(link)}" title="Max vs. Average Pooling Explorer" width="100%" height="760" style="border:0" loading="lazy"></iframe>`;
    $('share-note').textContent = location.protocol === 'file:'
      ? 'This page was opened from a file: the link works on this computer only. Put the static site (scripts/build-web.sh) on a web host to share it.'
      : '';
  }

  toggleShare() {
    const open = $('share-panel').hidden;
    $('share-panel').hidden = !open;
    $('share').setAttribute('aria-expanded', String(open));
    if (open) this.refreshShare();
  }

  async copy(id, done) {
    const field = $(id);
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      $('share-note').textContent = done;
    } catch {
      $('share-note').textContent = 'Copying is not allowed here: the text is selected, press Ctrl+C (⌘C) to copy it.';
    }
  }

  /** The grids to export: input, max, average (and Lp when shown). */
  grids() {
    const now = this.latest();
    if (!now) return null;
    const { answer } = now;
    const out = [['input', 'Input', answer.input], ['max', 'Max pooling', answer.pool.max.values], ['avg', 'Average pooling', answer.pool.avg.values]];
    if (answer.pool.lp) out.push(['lp', `Lp norm, p = ${answer.pool.lp.p}`, answer.pool.lp.values]);
    return out;
  }

  fileName(extension) {
    const { settings } = this.latest();
    return `pooling-k${settings.kernel.join('x')}-s${settings.stride.join('x')}.${extension}`;
  }

  /** Long-format CSV, one value per line, exact: `grid,row,column,value`. */
  exportCsv() {
    const grids = this.grids();
    if (!grids) return this.nothing();
    const lines = ['grid,row,column,value'];
    for (const [name, , rows] of grids) {
      rows.forEach((row, r) => row.forEach((v, c) => lines.push(`${name},${r + 1},${c + 1},${v}`)));
    }
    download(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }), this.fileName('csv'));
  }

  /** The grids side by side as an SVG picture, numbers as the page shows them. */
  svg() {
    const grids = this.grids();
    if (!grids) return null;
    const cell = 44;
    const gap = 36;
    const scale = range(grids[0][2]);
    let x = 16;
    const parts = [];
    let height = 0;
    for (const [, title, rows] of grids) {
      const own = title.startsWith('Lp') ? range(rows) : scale;
      parts.push(`<text x="${x}" y="24" font-size="16" font-weight="600">${escape(title)} (${rows.length}×${rows[0].length})</text>`);
      rows.forEach((row, r) => row.forEach((v, c) => {
        const [cx, cy] = [x + c * cell, 36 + r * cell];
        parts.push(`<rect x="${cx}" y="${cy}" width="${cell - 4}" height="${cell - 4}" rx="4" fill="${heat(v, own)}" stroke="#767676"/>`);
        parts.push(`<text x="${cx + (cell - 4) / 2}" y="${cy + (cell - 4) / 2 + 5}" font-size="15" font-weight="600" text-anchor="middle">${short(v)}</text>`);
      }));
      x += rows[0].length * cell + gap;
      height = Math.max(height, 36 + rows.length * cell + 16);
    }
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="${height}" viewBox="0 0 ${x} ${height}" font-family="system-ui, sans-serif"><rect width="100%" height="100%" fill="#fff"/>${parts.join('')}</svg>`;
  }

  exportSvg() {
    const svg = this.svg();
    if (!svg) return this.nothing();
    download(new Blob([svg], { type: 'image/svg+xml' }), this.fileName('svg'));
  }

  async exportPng() {
    const svg = this.svg();
    if (!svg) return this.nothing();
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    try {
      const image = new Image();
      await new Promise((resolve, reject) => { image.onload = resolve; image.onerror = reject; image.src = url; });
      const canvas = document.createElement('canvas');
      canvas.width = image.width * 2;
      canvas.height = image.height * 2;
      const context = canvas.getContext('2d');
      context.scale(2, 2);
      context.drawImage(image, 0, 0);
      const png = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      download(png, this.fileName('png'));
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  nothing() {
    $('share-note').textContent = 'There is nothing to export until the settings give an output.';
  }

  /** Large type for a projector, full screen where the browser allows it. */
  present(on = document.documentElement.dataset.present !== 'true') {
    document.documentElement.dataset.present = String(on);
    $('present').setAttribute('aria-pressed', String(on));
    $('present').textContent = on ? 'Leave presentation' : 'Present';
    if (on && document.fullscreenEnabled && !document.fullscreenElement) {
      document.documentElement.requestFullscreen().catch(() => {});
    } else if (!on && document.fullscreenElement) {
      document.exitFullscreen().catch(() => {});
    }
  }
}

function escape(text) {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
}

function download(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
