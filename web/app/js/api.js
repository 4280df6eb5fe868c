// The native API, as the web app uses it: the session cookie authenticates, and every
// changing request carries the session's CSRF token. Failures become ApiError with the
// server's code, message and field, so forms can point at the field that was refused.

let csrfToken = null;
const listeners = new Set();

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called with no arguments when the session ends (401 from any call). */
export function onSignedOut(fn) {
  listeners.add(fn);
}

export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    const error = (body && body.error) || {};
    super(error.message || `The server answered ${status}.`);
    this.status = status;
    this.code = error.code || 'unknown';
    this.field = error.field;
    if (status === 429 && retryAfter) {
      this.message += ` Try again in ${humanSeconds(Number(retryAfter))}.`;
    }
  }
}

function humanSeconds(s) {
  if (!Number.isFinite(s)) return 'a while';
  if (s < 90) return `${Math.max(1, Math.round(s))} seconds`;
  if (s < 5400) return `${Math.round(s / 60)} minutes`;
  return `${Math.round(s / 3600)} hours`;
}

export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers }, credentials: 'same-origin' };
  if (body instanceof FormData || body instanceof Blob) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) init.headers['x-csrf-token'] = csrfToken;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch {
    throw new ApiError(0, { error: { code: 'network', message: 'Could not reach Postern. Check your connection and try again.' } });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== '/sessions' && path !== '/sessions/current') {
      listeners.forEach((fn) => fn());
    }
    throw new ApiError(response.status, data, response.headers.get('retry-after'));
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body, headers) => api('POST', path, body, headers);
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

export const q = encodeURIComponent;

/**
 * What the server enforces that the app checks before sending (`GET /limits`), filled in at
 * boot by `loadLimits`. Until then, and if the server cannot say, SPEC's defaults.
 */
export const limits = {
  message_text_chars: 10_000,
  edits_per_message: 5,
  group_name_chars: 50,
  group_create_min_others: 2,
  group_create_max_others: 49,
  group_members: 256,
  media_part_bytes: 5_000_000,
};

export async function loadLimits() {
  try {
    Object.assign(limits, await get('/limits'));
  } catch { /* the defaults stand; the server still refuses what it must */ }
}

function mediaCategory(type) {
  if (type === 'image/gif') return 'dm_gif';
  if (type.startsWith('video/')) return 'dm_video';
  return 'dm_image';
}

/**
 * Uploads a file; returns the media object (with its id) once the server has checked it.
 * `shared`: for a welcome message or DM card, shown to many people.
 */
export async function uploadMedia(file, onProgress = () => {}, { shared = false } = {}) {
  const category = mediaCategory(file.type);
  // A whole file in one request up to the server's part size, in parts above it.
  const partBytes = limits.media_part_bytes;
  if (file.size <= partBytes) {
    const form = new FormData();
    if (shared) form.append('shared', 'true');
    form.append('media', file, file.name);
    onProgress(0.5);
    const media = await post(`/media?media_category=${category}`, form);
    onProgress(1);
    return media;
  }
  const upload = await post('/media/uploads', {
    total_bytes: file.size,
    media_type: file.type,
    media_category: category,
    shared,
  });
  const parts = Math.ceil(file.size / partBytes);
  for (let n = 0; n < parts; n++) {
    const chunk = file.slice(n * partBytes, (n + 1) * partBytes);
    await api('PUT', `/media/uploads/${upload.id}/parts/${n}`, chunk, { 'content-type': 'application/octet-stream' });
    onProgress((n + 1) / (parts + 1));
  }
  const media = await post(`/media/uploads/${upload.id}/complete`);
  onProgress(1);
  return media;
}
