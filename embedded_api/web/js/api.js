// Token handling and the REST helper. The server decides every permission; the role read from the
// token here only chooses which controls the page shows.

const TOKEN_KEY = "kestrel.token";
export const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 };

export function loadToken() {
  try {
    return localStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

export function saveToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  localStorage.removeItem(TOKEN_KEY);
}

/** The claims of a JWT (not verified here: the server does that on every call). */
export function decodeToken(token) {
  const parts = token.trim().split(".");
  if (parts.length !== 3) throw new Error("this is not a token (expected three parts separated by dots)");
  let claims;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(b64 + "===".slice((b64.length + 3) % 4));
    claims = JSON.parse(decodeURIComponent(escape(json)));
  } catch {
    throw new Error("this token cannot be read (damaged when copied?)");
  }
  if (!(claims.role in ROLE_RANK)) throw new Error(`unknown role in token: ${claims.role}`);
  return claims;
}

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body || {};
  }
}

/** A readable sentence from an error body: core errors, pydantic field errors, rate limits. */
export function describeError(status, body) {
  if (!body || typeof body !== "object") return `HTTP ${status}`;
  let detail = body.detail;
  if (Array.isArray(detail)) {
    detail = detail
      .map((e) => `${(e.loc || []).filter((p) => p !== "body").join(".") || "input"}: ${e.msg}`)
      .join("; ");
  }
  let text = detail ? String(detail) : `HTTP ${status}`;
  if (body.result && !text.includes(body.result)) text += ` [${body.result}]`;
  return text;
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** fetch with the bearer token; JSON in and out. Throws ApiError (status 0: network down). */
export async function api(method, path, body, { token = loadToken(), raw = false, timeoutMs = 15000 } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  init.signal = controller.signal;
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    const why = err.name === "AbortError" ? "no answer from the program" : "cannot reach the program";
    throw new ApiError(0, why);
  } finally {
    clearTimeout(timer);
  }
  if (raw && response.ok) return response;
  let data = null;
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = describeError(response.status, data);
    if (response.status === 401) onUnauthorized(message);
    throw new ApiError(response.status, message, data);
  }
  return data;
}

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}
