// Real images through 1–4 pooling layers: a sample drawn by the project or the reader's own
// PNG/JPEG, max and average side by side at each layer. The server decodes, pools and
// encodes; the page only shows the PNGs it returns.

import { get, postBytes } from '../api.js';
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
    const { samples } = await get('/api/samples');
    for (const s of samples) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sample';
      button.dataset.sample = s.name;
      button.setAttribute('aria-pressed', 'false');
      const img = document.createElement('img');
      img.src = s.url;
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
    this.upload = { name: file.name, type: file.type, bytes: await file.arrayBuffer() };
    this.state.image.sample = 'upload';
    this.onChange();
    await this.refresh();
  }

  /** Asks the server for the current image's layers and shows them. */
  async refresh() {
    await this.ensureSamples();
    this.layers.value = String(this.state.image.layers);
    for (const b of this.list.querySelectorAll('button')) {
      b.setAttribute('aria-pressed', String(b.dataset.sample === this.state.image.sample));
    }
    const layers = encodeURIComponent(String(this.state.image.layers));
    this.results.dataset.busy = 'true';
    try {
      let answer;
      if (this.state.image.sample === 'upload' && this.upload) {
        answer = await postBytes(`/api/image?layers=${layers}`, this.upload.bytes, this.upload.type);
      } else {
        const sample = this.state.image.sample === 'upload' ? 'cat' : this.state.image.sample;
        answer = await postBytes(`/api/image?layers=${layers}&sample=${encodeURIComponent(sample)}`, new Uint8Array(0));
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
    this.message.textContent = `Showing ${title}: ${src.width}×${src.height}` +
      (src.fitted ? `, averaged down to ${answer.input.width}×${answer.input.height} first.` : '.');
    this.results.dataset.error = 'false';
    this.message.dataset.error = 'false';
    this.results.replaceChildren();
    this.results.append(figure(answer.input.png, `Input, ${answer.input.width}×${answer.input.height}`, 'input'));
    for (const layer of answer.layers) {
      const row = document.createElement('div');
      row.className = 'image-layer';
      row.dataset.layer = String(layer.layer);
      const size = `${layer.width}×${layer.height}`;
      row.append(
        figure(layer.max, `Max pooling × ${layer.layer}: ${size}`, 'max'),
        figure(layer.avg, `Average pooling × ${layer.layer}: ${size}`, 'avg'),
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
