// Sign-in: password or pasted token, checked against the program before the dashboard starts.

import { api, clearToken, decodeToken, describeError, saveToken } from "./api.js";
import { start } from "./session.js";
import { $, setText } from "./util.js";

export const LOGIN_TAB_KEY = "kestrel.loginTab";

export function showLogin(message = "", tab) {
  $("app").hidden = true;
  $("who").hidden = true;
  $("footer").hidden = true;
  const abort = $("abort");
  if (abort) abort.hidden = true;
  $("login").hidden = false;
  setText("login-error", message);
  let wanted = tab;
  if (!wanted) {
    try {
      wanted = localStorage.getItem(LOGIN_TAB_KEY) || "password";
    } catch {
      wanted = "password";
    }
  }
  selectLoginTab(wanted);
}

export function selectLoginTab(tab) {
  const password = tab !== "token";
  $("tab-password").setAttribute("aria-selected", String(password));
  $("tab-token").setAttribute("aria-selected", String(!password));
  $("password-form").hidden = !password;
  $("login-form").hidden = password;
  try {
    localStorage.setItem(LOGIN_TAB_KEY, password ? "password" : "token");
  } catch {
    /* private mode: fine */
  }
  (password ? $("login-user") : $("token-input")).focus();
}

/** User name and password -> a token from POST /api/auth/login, then the same path as a pasted token. */
export async function passwordSignIn() {
  const username = $("login-user").value.trim();
  const password = $("login-password").value;
  if (!username || !password) {
    setText("login-error", !username ? "Enter your user name." : "Enter your password.");
    return;
  }
  const button = $("password-button");
  button.disabled = true;
  setText("login-error", "");
  let response;
  let body = null;
  try {
    response = await fetch("/api/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
      cache: "no-store",
    });
    body = await response.json().catch(() => null);
  } catch {
    setText("login-error", "Cannot reach the program: is it running, and is this its address?");
    return;
  } finally {
    button.disabled = false;
  }
  $("login-password").value = "";
  if (response.ok && body?.token) {
    signIn(body.token);
  } else if (response.status === 404) {
    showLogin("This program does not offer password sign-in: paste a token instead.", "token");
  } else if (response.status === 429) {
    const wait = response.headers.get("Retry-After");
    setText("login-error", `Too many attempts: wait ${wait || "a minute"} s and try again.`);
  } else {
    const text = describeError(response.status, body);
    if (/no user accounts/.test(text)) showLogin(text, "token");
    else setText("login-error", text);
    $("login-password").focus();
  }
}

export async function signIn(token) {
  token = token.trim();
  let claims;
  try {
    claims = decodeToken(token);
  } catch (err) {
    showLogin(err.message);
    return;
  }
  if (claims.exp && claims.exp * 1000 < Date.now()) {
    clearToken();
    showLogin("This token has expired: ask for a new one.");
    return;
  }
  let reachable = true;
  try {
    await api("GET", "/status", undefined, { token });
  } catch (err) {
    if (err.status === 401 || err.status === 403) {
      clearToken();
      showLogin(`The program refused this token: ${err.message}`);
      return;
    }
    reachable = err.status !== 0;
  }
  saveToken(token);
  start(token, claims, reachable);
}
