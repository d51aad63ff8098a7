// Where every number the page shows comes from: the poolkit library itself, compiled to
// WebAssembly and running in this page (nothing leaves the machine), or, when the page is
// served without that build, the explorer server's JSON API. Both answer the same requests
// with the same JSON (API.md); views call `call(endpoint, body)` and never compute.

export class ApiError extends Error {
  constructor(status, message, field, detail) {
    super(message);
    this.status = status;
    this.field = field;
    this.detail = detail;
  }
}

const WASM_FILE = 'poolkit_explorer.wasm';
let engine = null;

/** Loads the engine once: the WebAssembly build if the page has one, else the server. */
export function start() {
  engine ??= loadWasm().catch((reason) => {
    if (location.protocol === 'file:') throw reason;
    return serverEngine();
  });
  return engine;
}

/** `wasm` or `server`, once started. */
export async function engineKind() {
  return (await start()).kind;
}

/** Answers `endpoint` for the JSON `body` (and an image's RGBA `pixels`); rejects with an ApiError. */
export async function call(endpoint, body, pixels) {
  return (await start()).call(endpoint, body, pixels);
}

/** Pools an image through 1–4 layers: a sample's name, or a File the reader chose (at most
 *  `maxSide` pixels a side: a larger one is only measured, and the library refuses it). */
export async function poolImage(layers, sample, file, maxSide) {
  const e = await start();
  if (!file) return e.call('image', { layers, sample });
  if (e.kind === 'server') return e.postFile(layers, file);
  const bitmap = await openImage(file);
  const { width, height } = bitmap;
  if (Math.max(width, height) > maxSide) {
    bitmap.close();
    return e.call('image', { layers, width, height });
  }
  return e.call('image', { layers, width, height }, pixelsOf(bitmap));
}

async function wasmBytes() {
  const embedded = document.getElementById('poolkit-wasm');
  if (embedded) return Uint8Array.from(atob(embedded.textContent.trim()), (ch) => ch.charCodeAt(0));
  const response = await fetch(WASM_FILE);
  if (!response.ok) throw new Error(`${WASM_FILE}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

async function loadWasm() {
  const { instance } = await WebAssembly.instantiate(await wasmBytes(), {});
  const x = instance.exports;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const callOnce = (endpoint, body, pixels) => {
    const parts = [encoder.encode(endpoint), encoder.encode(JSON.stringify(body ?? {})), pixels ?? new Uint8Array(0)];
    const buffers = parts.map((bytes) => {
      const ptr = x.poolkit_alloc(bytes.length);
      new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
      return ptr;
    });
    let status;
    try {
      status = x.poolkit_call(buffers[0], parts[0].length, buffers[1], parts[1].length, buffers[2], parts[2].length);
    } finally {
      buffers.forEach((ptr, i) => x.poolkit_free(ptr, parts[i].length));
    }
    const answer = new Uint8Array(x.memory.buffer, x.poolkit_answer_ptr(), x.poolkit_answer_len());
    return { status, value: JSON.parse(decoder.decode(answer)) };
  };
  return {
    kind: 'wasm',
    async call(endpoint, body, pixels) {
      let answer;
      try {
        answer = callOnce(endpoint, body, pixels);
      } catch (e) {
        // A trap is a bug in the library: start afresh so the next edit still works.
        engine = null;
        throw new ApiError(500, `the explorer met an internal error (${e.message}); please try again`);
      }
      if (answer.status !== 200) throw new ApiError(answer.status, answer.value.error, answer.value.field, answer.value.detail);
      return answer.value;
    },
  };
}

async function serverEngine() {
  const answer = async (response) => {
    let body = null;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(response.status, `the explorer's server answered ${response.status} without an answer it could read`);
    }
    if (!response.ok) throw new ApiError(response.status, body?.error ?? `HTTP ${response.status}`, body?.field, body?.detail);
    return body;
  };
  const send = async (path, init) => {
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, 'the explorer\u2019s server cannot be reached: is `poolkit explore` still running?');
    }
    return answer(response);
  };
  return {
    kind: 'server',
    call(endpoint, body) {
      return send(`api/${endpoint}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    },
    postFile(layers, file) {
      return send(`api/image?layers=${encodeURIComponent(layers)}`, {
        method: 'POST',
        headers: { 'Content-Type': file.type || 'application/octet-stream' },
        body: file,
      });
    },
  };
}

async function openImage(file) {
  try {
    return await createImageBitmap(file);
  } catch {
    throw new ApiError(400, `${file.name} is not a PNG or JPEG image this browser can read: choose another file`, 'image');
  }
}

/** A decoded image's RGBA bytes. */
function pixelsOf(bitmap) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return new Uint8Array(context.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
}

/** A data URL of an image answer `{width, height, rgb}` (base64 RGB bytes). */
export function imageUrl(image) {
  const rgb = Uint8Array.from(atob(image.rgb), (ch) => ch.charCodeAt(0));
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  const pixels = context.createImageData(image.width, image.height);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    pixels.data[j] = rgb[i];
    pixels.data[j + 1] = rgb[i + 1];
    pixels.data[j + 2] = rgb[i + 2];
    pixels.data[j + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas.toDataURL('image/png');
}
