"use strict";
// Shared by the studio and review pages: element building, API calls with the session's CSRF token, and sign-in
// state. The pages never handle an API key: sign-in is a plain form post that sets an HttpOnly cookie.
let csrf = null;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (csrf) headers["x-csrf-token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body) });
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error((data && data.error && data.error.message) || response.statusText);
  return data;
}

// The signed-in session (its CSRF token kept for `api`, its key shown in #who), or null after showing #signin.
async function signedInSession() {
  const session = await (await fetch("/studio/session", { credentials: "same-origin" })).json();
  if (!session.signed_in) { document.getElementById("signin").hidden = false; return null; }
  csrf = session.csrf_token;
  document.getElementById("who").textContent = `${session.key_name} · ${session.project}`;
  return session;
}
