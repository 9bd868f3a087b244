"use strict";
// Shared by the studio and review pages: element building, API calls with the session's CSRF token, sign-in
// state and announcements. The pages never handle an API key: sign-in is a plain form post that sets an HttpOnly
// cookie.
let csrf = null;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, className, onclick, attrs = {}) {
  const b = el("button", Object.assign({ type: "button", class: className }, attrs), label);
  b.onclick = onclick;
  return b;
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

// A multipart request (uploads), with the session's CSRF token; the browser sets the boundary.
async function apiForm(method, path, form) {
  const headers = { "Accept": "application/json" };
  if (csrf) headers["x-csrf-token"] = csrf;
  const response = await fetch(path, { method, headers, credentials: "same-origin", body: form });
  const data = await response.json();
  if (!response.ok) throw new Error((data && data.error && data.error.message) || response.statusText);
  return data;
}

// Tells screen readers (and the page's status line) what just happened.
function announce(message) {
  const region = document.getElementById("announcer");
  if (region) { region.textContent = ""; setTimeout(() => { region.textContent = message; }, 50); }
}

// The signed-in session (its CSRF token kept for `api`, its key shown in #who), or null after showing #signin.
async function signedInSession() {
  const session = await (await fetch("/studio/session", { credentials: "same-origin" })).json();
  if (!session.signed_in) { document.getElementById("signin").hidden = false; return null; }
  csrf = session.csrf_token;
  document.getElementById("who").textContent = `${session.key_name} · ${session.project}`;
  return session;
}

// A video's state in words: a cancelled video reads "cancelled", never "failed".
function statusWord(video) {
  if (video.status === "failed" && video.error && video.error.code === "cancelled") return "cancelled";
  return { queued: "queued", in_progress: "rendering", completed: "completed", failed: "failed" }[video.status] || video.status;
}

// Public pages: "Copy link" buttons (data-copy) and gallery cards that play while hovered or focused (not when
// the reader asked for reduced motion).
document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("[data-copy]")) {
    b.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(b.dataset.copy); announce("Link copied."); b.textContent = "Link copied"; }
      catch (e) { announce(`Copy it by hand: ${b.dataset.copy}`); }
    });
  }
  if (matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  for (const v of document.querySelectorAll("video[data-hover]")) {
    const card = v.closest("a") || v;
    const play = () => { v.play().catch(() => {}); };
    const stop = () => { v.pause(); };
    card.addEventListener("mouseenter", play);
    card.addEventListener("focus", play);
    card.addEventListener("mouseleave", stop);
    card.addEventListener("blur", stop);
  }
});
