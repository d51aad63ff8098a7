// The seed's checkpoint as a question the library marks: [14, 14, 32] through 2×2/s2 max
// pooling; the reader's answer is checked against the library's output shape.

import { call } from '../api.js';

export class CheckpointView {
  constructor() {
    this.form = document.getElementById('checkpoint-form');
    this.answer = document.getElementById('checkpoint-answer');
    this.result = document.getElementById('checkpoint-result');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.check();
    });
  }

  async check() {
    this.result.replaceChildren();
    try {
      const v = await call('checkpoint', { answer: this.answer.value });
      const verdict = document.createElement('p');
      verdict.className = v.correct ? 'verdict correct' : 'verdict wrong';
      verdict.dataset.correct = String(v.correct);
      verdict.textContent = v.correct
        ? `✓ Correct: [${v.output.join(', ')}]. Height and width halve; the 32 channels pass through.`
        : `✗ Not quite: you wrote [${v.answer.join(', ')}], the output is [${v.output.join(', ')}]. ${v.hints.join(' ')}`;
      const list = document.createElement('ul');
      for (const axis of v.axes) {
        const li = document.createElement('li');
        li.textContent = `${axis.axis === 'h' ? 'Height' : 'Width'}: ${axis.formula}`;
        list.append(li);
      }
      this.result.append(verdict, list);
      this.answer.removeAttribute('aria-invalid');
    } catch (e) {
      const p = document.createElement('p');
      p.className = 'verdict refused';
      p.dataset.correct = 'refused';
      p.textContent = e.message;
      this.result.append(p);
      this.answer.setAttribute('aria-invalid', 'true');
    }
  }
}
