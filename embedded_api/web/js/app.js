// Kestrel GCS dashboard: sign-in, live telemetry and video, controls by role, results of every action.
// This entry point only boots the page; each part lives in its own module (see the imports).

import { loadToken, setUnauthorizedHandler } from "./api.js";
import { LOGIN_MESSAGE_KEY, onAuthFailed } from "./connection.js";
import { passwordSignIn, selectLoginTab, showLogin, signIn } from "./login.js";
import { $, on } from "./util.js";

export function boot() {
  setUnauthorizedHandler((reason) => {
    // a REST call says the token is no longer good (expired, or the program got a new secret)
    if (/expired|invalid|missing/i.test(reason)) onAuthFailed(reason);
  });
  on("login-form", "submit", (e) => {
    e.preventDefault();
    signIn($("token-input").value);
  });
  on("password-form", "submit", (e) => {
    e.preventDefault();
    passwordSignIn();
  });
  on("tab-password", "click", () => selectLoginTab("password"));
  on("tab-token", "click", () => selectLoginTab("token"));
  let token = loadToken();
  if (location.hash.startsWith("#token=")) {
    token = decodeURIComponent(location.hash.slice(7));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const message = sessionStorage.getItem(LOGIN_MESSAGE_KEY);
  sessionStorage.removeItem(LOGIN_MESSAGE_KEY);
  if (token) signIn(token);
  else showLogin(message || "");
}

boot();
