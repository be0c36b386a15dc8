// The API token: taken from the page address (#token=...) once, then kept for the browser session.
const KEY = "nadhir.token";

export function token() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
}

export async function api(path, options = {}) {
  const headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
  const tok = token();
  if (tok) headers["Authorization"] = `Bearer ${tok}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET", headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    const error = new Error((data && data.detail) || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

// The sign-in form every page but the kiosk carries: #login (with #token and #login-error) over #main.
export function showLogin(message) {
  document.getElementById("main").hidden = true;
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = message || "";
}

// Signing in keeps the token typed and loads the page again with it.
export function wireSignIn() {
  document.getElementById("login").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken(document.getElementById("token").value.trim());
    location.reload();
  });
}
