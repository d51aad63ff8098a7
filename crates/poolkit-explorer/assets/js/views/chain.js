// The shape calculator: a chain of pooling layers (operator, kernel, stride, padding, ceil
// mode), each reading the shape the one before gives; the library computes every shape and
// formula, and a refusal names the layer and the rule.

import { call } from '../api.js';

const $ = (id) => document.getElementById(id);

const EXAMPLES = {
  vgg: { shape: '224, 224, 3', format: 'hwc', layers: Array.from({ length: 5 }, () => ['max', 2, 2, 0, false]) },
  resnet: { shape: '112, 112, 64', format: 'hwc', layers: [['max', 3, 2, 1, false]] },
  inception: { shape: '147, 147, 64', format: 'hwc', layers: [['max', 3, 2, 0, false], ['avg', 3, 1, 1, false]] },
};

export class ChainView {
  constructor() {
    this.body = $('chain-layers');
    $('chain-add').addEventListener('click', () => this.add(['max', 2, 2, 0, false]));
    $('chain-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.calculate();
    });
    $('chain-example').addEventListener('change', () => {
      const example = EXAMPLES[$('chain-example').value];
      if (!example) return;
      $('chain-shape').value = example.shape;
      $('chain-format').value = example.format;
      this.body.replaceChildren();
      for (const layer of example.layers) this.add(layer);
      this.calculate();
    });
    this.add(['max', 2, 2, 0, false]);
  }

  add([operator, kernel, stride, pad, ceil]) {
    const tr = document.createElement('tr');
    const n = this.body.children.length + 1;
    const number = (name, value, min) => {
      const input = document.createElement('input');
      input.type = 'number';
      input.min = String(min);
      input.step = '1';
      input.value = String(value);
      input.dataset.field = name;
      return input;
    };
    const op = document.createElement('select');
    op.dataset.field = 'operator';
    for (const [value, text] of [['max', 'Max'], ['avg', 'Average']]) op.append(new Option(text, value, false, value === operator));
    const ceilBox = document.createElement('input');
    ceilBox.type = 'checkbox';
    ceilBox.checked = ceil;
    ceilBox.dataset.field = 'ceil_mode';
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Remove';
    remove.addEventListener('click', () => { tr.remove(); this.renumber(); });
    const cells = [document.createTextNode(String(n)), op, number('kernel', kernel, 1), number('stride', stride, 1), number('pad', pad, 0), ceilBox, remove];
    for (const cell of cells) {
      const td = document.createElement(cell.nodeType === Node.TEXT_NODE ? 'th' : 'td');
      if (td.tagName === 'TH') td.scope = 'row';
      td.append(cell);
      tr.append(td);
    }
    this.body.append(tr);
    this.renumber();
  }

  renumber() {
    [...this.body.children].forEach((tr, i) => {
      tr.firstChild.textContent = String(i + 1);
      for (const control of tr.querySelectorAll('[data-field]')) {
        control.setAttribute('aria-label', `layer ${i + 1} ${control.dataset.field.replace('_', ' ')}`);
      }
    });
  }

  /** Each row as the library's settings; an empty box is sent as null, and refused in words. */
  layers() {
    return [...this.body.children].map((tr) => {
      const value = (name) => {
        const text = tr.querySelector(`[data-field="${name}"]`).value.trim();
        return text === '' ? null : Number(text);
      };
      const pair = (v) => [v, v];
      return {
        operator: tr.querySelector('[data-field="operator"]').value,
        kernel: pair(value('kernel')),
        stride: pair(value('stride')),
        pad_begin: pair(value('pad')),
        pad_end: pair(value('pad')),
        ceil_mode: tr.querySelector('[data-field="ceil_mode"]').checked,
      };
    });
  }

  async calculate() {
    const result = $('chain-result');
    result.replaceChildren();
    try {
      const v = await call('chain', { shape: $('chain-shape').value, format: $('chain-format').value, layers: this.layers() });
      const list = document.createElement('ol');
      for (const layer of v.layers) {
        const li = document.createElement('li');
        li.textContent = `[${layer.input.join(', ')}] → [${layer.output.join(', ')}]: ${layer.axes.map((a) => `${a.axis} ${a.formula}`).join('; ')}`;
        list.append(li);
      }
      const total = document.createElement('p');
      total.className = 'verdict';
      total.dataset.output = JSON.stringify(v.output);
      total.textContent = `Output: [${v.output.join(', ')}] after ${v.layers.length} layer${v.layers.length === 1 ? '' : 's'}.`;
      result.append(total, list);
    } catch (e) {
      const p = document.createElement('p');
      p.className = 'verdict refused';
      p.textContent = e.message;
      result.append(p);
    }
  }
}
