// Real images through 1–4 pooling layers: a sample drawn by the project or the reader's own
// PNG/JPEG, max and average side by side at each layer. The library fits and pools; the page
// only shows the pixels it returns. An uploaded image never leaves the browser (with the
// WebAssembly build) and is not kept in the link.

import { call, imageUrl, poolImage } from '../api.js';
import { short } from '../format.js';

export class ImagesView {
  constructor(state, onChange) {
    this.state = state;
    this.onChange = onChange;
    this.list = document.getElementById('sample-list');
    this.results = document.getElementById('image-results');
    this.message = document.getElementById('image-message');
    this.layers = document.getElementById('image-layers');
    this.file = document.getElementById('image-file');
    this.upload = null;
    this.loadedSamples = false;
    this.layers.addEventListener('change', () => {
      this.state.image.layers = Number(this.layers.value);
      this.onChange();
      this.refresh();
    });
    this.file.addEventListener('change', () => this.useFile());
  }

  async ensureSamples() {
    if (this.loadedSamples) return;
    this.loadedSamples = true;
    const { samples, max_side: maxSide } = await call('samples');
    this.maxSide = maxSide;
    for (const s of samples) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sample';
      button.dataset.sample = s.name;
      button.setAttribute('aria-pressed', 'false');
      const img = document.createElement('img');
      img.src = imageUrl(s.image);
      img.alt = '';
      img.width = 48;
      img.height = 48;
      const text = document.createElement('span');
      text.textContent = s.title;
      button.title = s.shows;
      button.append(img, text);
      button.addEventListener('click', () => {
        this.upload = null;
        this.file.value = '';
        this.state.image.sample = s.name;
        this.onChange();
        this.refresh();
      });
      this.list.append(button);
    }
  }

  async useFile() {
    const file = this.file.files[0];
    if (!file) return;
    this.upload = file;
    this.state.image.sample = 'upload';
    this.onChange();
    await this.refresh();
  }

  /** Asks the library for the current image's layers and shows them. */
  async refresh() {
    await this.ensureSamples();
    this.layers.value = String(this.state.image.layers);
    for (const b of this.list.querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b.dataset.sample === this.state.image.sample));
    }
    this.results.dataset.busy = 'true';
    try {
      const { layers, sample } = this.state.image;
      let answer;
      if (sample === 'upload' && this.upload) {
        answer = await poolImage(layers, null, this.upload, this.maxSide);
      } else {
        answer = await poolImage(layers, sample === 'upload' ? 'cat' : sample);
      }
      this.show(answer);
    } catch (e) {
      this.results.replaceChildren();
      this.message.textContent = `No result: ${e.message}`;
      this.message.dataset.error = 'true';
      this.results.dataset.error = 'true';
    } finally {
      this.results.dataset.busy = 'false';
    }
  }

  show(answer) {
    const src = answer.source;
    const title = src.name === 'upload' ? `your image${this.upload ? ` (${this.upload.name})` : ''}` : `the “${src.name}” sample`;
    // A link cannot carry an uploaded image: say so instead of swapping in a sample silently.
    const lost = this.state.image.sample === 'upload' && !this.upload
      ? 'Your uploaded image is not kept in links or across reloads (it never leaves this browser); choose the file again to see it. Meanwhile: '
      : '';
    this.message.textContent = `${lost}Showing ${title}: ${src.width}×${src.height}` +
      (src.fitted ? `, averaged down to ${answer.input.width}×${answer.input.height} first.` : '.');
    this.results.dataset.error = 'false';
    this.message.dataset.error = 'false';
    this.results.replaceChildren();
    this.results.append(figure(imageUrl(answer.input), `Input, ${answer.input.width}×${answer.input.height}`, 'input'));
    for (const layer of answer.layers) {
      const row = document.createElement('div');
      row.className = 'image-layer';
      row.dataset.layer = String(layer.layer);
      const size = `${layer.width}×${layer.height}`;
      row.append(
        figure(imageUrl(layer.max), `Max pooling × ${layer.layer}: ${size}`, 'max'),
        figure(imageUrl(layer.avg), `Average pooling × ${layer.layer}: ${size}`, 'avg'),
      );
      const note = document.createElement('p');
      note.className = 'hint';
      note.textContent = `Layer ${layer.layer}: max and average differ by ${short(layer.mean_abs_difference)} levels (of 255) per pixel on average.`;
      row.append(note);
      this.results.append(row);
    }
  }
}

function figure(src, caption, kind) {
  const fig = document.createElement('figure');
  fig.className = 'pooled-image';
  fig.dataset.kind = kind;
  const img = document.createElement('img');
  img.src = src;
  img.alt = caption;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(img, cap);
  return fig;
}
