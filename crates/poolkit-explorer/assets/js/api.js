// Talking to the explorer's JSON API (see API.md). Every number the page shows comes
// through here.

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

async function answer(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status, `the server answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    throw new ApiError(response.status, body && body.error ? body.error : `HTTP ${response.status}`, body && body.field);
  }
  return body;
}

/** POST a JSON body; resolves to the answer or rejects with an ApiError. */
export async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return answer(response);
}

/** POST raw bytes (an image file). */
export async function postBytes(path, bytes, contentType) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': contentType || 'application/octet-stream' },
    body: bytes,
  });
  return answer(response);
}

/** GET a JSON answer. */
export async function get(path) {
  return answer(await fetch(path));
}
