"use strict";
// The studio: a form with every setting the API takes, and the project's library, newest first, kept current by
// one event stream for the whole library (never one per video: browsers allow six connections per host).
const PAGE = 24;
const videos = new Map();
const models = new Map();
const previews = new Map();
let cursor = null;
let stream = null;
let streamWindow = 0;

const $ = (id) => document.getElementById(id);
const content = (id, variant) => `/v1/videos/${encodeURIComponent(id)}/content${variant ? `?${variant}` : ""}`;

function settingsFromForm() {
  const mode = $("mode").value;
  const body = { prompt: $("prompt").value };
  // Extensions and edits keep the source's model and size; an edit keeps its length too.
  if (mode !== "extend" && mode !== "edit") {
    body.size = $("size").value;
    if ($("model").value) body.model = $("model").value;
  }
  if (mode !== "edit") body.seconds = $("seconds").value;
  if (mode === "extend" || mode === "edit") body.video = { id: $("source").value };
  if (mode === "edit" && $("strength").value !== "") body.strength = Number($("strength").value);
  if ($("style").value) body.style = $("style").value;
  if ($("negative").value.trim()) body.negative_prompt = $("negative").value;
  if ($("seed").value !== "") body.seed = Number($("seed").value);
  if ($("steps").value !== "") body.steps = Number($("steps").value);
  if ($("guidance").value !== "") body.guidance = Number($("guidance").value);
  if ($("turbo").checked) body.turbo = true;
  return body;
}

// "Use these settings": the form takes a video's settings, its seed included, so it can be made again or varied.
function useSettings(video) {
  $("prompt").value = video.prompt;
  for (const [id, value] of [["size", video.size], ["seconds", video.seconds], ["model", video.model], ["style", video.style || ""]]) {
    if ([...$(id).options].some((o) => o.value === value)) $(id).value = value;
  }
  $("seed").value = video.seed ?? "";
  $("steps").value = video.steps ?? "";
  $("guidance").value = video.guidance ?? "";
  $("negative").value = video.negative_prompt || "";
  $("turbo").checked = !!video.turbo;
  if (video.seed !== undefined || video.steps || video.negative_prompt) $("advanced").open = true;
  $("prompt").focus();
  announce("The form has this video's settings.");
}

function settingsOf(video) {
  const body = { prompt: video.prompt, model: video.model, size: video.size, seconds: video.seconds, seed: video.seed };
  for (const key of ["negative_prompt", "steps", "guidance", "style"]) if (video[key] !== undefined) body[key] = video[key];
  if (video.turbo) body.turbo = true;
  return body;
}

async function act(label, work) {
  try { await work(); } catch (e) { announce(`${label} failed: ${e.message}`); showError(e.message); }
}

function showError(message) {
  const error = $("create-error");
  error.textContent = message;
  error.hidden = !message;
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// The phase (`denoising: step 3/20`), time since the render started and, once the percentage says enough, an
// estimate of the time left.
function timing(video) {
  const parts = [];
  if (video.phase) parts.push(video.phase.replace("_", " "));
  if (video.started_at) {
    const elapsed = Date.now() / 1000 - video.started_at;
    parts.push(`${clock(elapsed)} elapsed`);
    if (video.progress >= 5 && video.progress < 100) parts.push(`about ${clock(elapsed * (100 - video.progress) / video.progress)} left`);
  }
  return parts.length ? ` · ${parts.join(" · ")}` : "";
}

function card(video) {
  let li = document.querySelector(`.job[data-id="${CSS.escape(video.id)}"]`);
  if (!li) {
    li = el("li", { class: "job", "data-id": video.id });
    const title = el("h3", { class: "prompt", id: `title-${video.id}`, tabindex: "-1" });
    li.append(title, el("p", { class: "meta" }), el("progress", { max: "100", value: "0" }), el("div", { class: "media" }),
      el("div", { class: "actions" }), el("div", { class: "share" }), el("div", { class: "feedback" }), el("p", { class: "error" }));
  }
  return li;
}

function place(li, video) {
  const list = $("queue");
  if (li.parentNode === list) return;
  const later = [...list.children].find((other) => (videos.get(other.dataset.id)?.created_at ?? 0) < video.created_at);
  list.insertBefore(li, later || null);
}

function render(video) {
  const previous = videos.get(video.id);
  videos.set(video.id, video);
  const li = card(video);
  const word = statusWord(video);
  li.dataset.status = word;
  li.querySelector(".prompt").textContent = video.prompt;
  const meta = li.querySelector(".meta");
  const position = video.status === "queued" && video.queue_position ? ` (position ${video.queue_position})` : "";
  const progress = video.status === "in_progress" ? ` ${video.progress}%${timing(video)}` : "";
  const expiry = video.expires_at ? ` · files kept until ${new Date(video.expires_at * 1000).toLocaleString()}` : "";
  meta.replaceChildren(el("span", { class: "status" }, `${word}${position}${progress}`),
    el("span", {}, ` · ${video.model} · ${video.size} · ${video.seconds}s · seed ${video.seed}${expiry}`));
  const bar = li.querySelector("progress");
  bar.value = video.progress;
  bar.setAttribute("aria-label", `Progress of “${video.prompt}”`);
  bar.hidden = video.status !== "queued" && video.status !== "in_progress";
  li.querySelector(".error").textContent = word === "failed" && video.error ? video.error.message : "";
  // Controls are rebuilt only when what they offer changes, so keyboard focus on them survives progress updates.
  const key = `${word}|${video.share ? video.share.state : ""}`;
  if (li.dataset.key !== key) {
    li.dataset.key = key;
    renderMedia(li, video);
    renderActions(li, video, word);
    renderShare(li, video);
  }
  renderFeedback(li, video);
  renderPreview(li, video);
  place(li, video);
  filter(li);
  if (previous && statusWord(previous) !== word && ["completed", "failed", "cancelled"].includes(word)) {
    announce(`${word[0].toUpperCase()}${word.slice(1)}: ${video.prompt}`);
  }
  $("library-empty").hidden = videos.size > 0;
  if (!$("source-field").hidden && word === "completed") modeChanged();
}

// While a video renders, the latest low-resolution preview (fetched when its step changes).
function renderPreview(li, video) {
  const running = video.status === "in_progress" && video.preview;
  let img = li.querySelector("img.preview");
  if (!running) {
    if (img) { URL.revokeObjectURL(img.src); img.remove(); }
    previews.delete(video.id);
    return;
  }
  if (previews.get(video.id) === video.preview.step) return;
  previews.set(video.id, video.preview.step);
  fetch(video.preview.url, { credentials: "same-origin", cache: "no-store" }).then((r) => (r.status === 200 ? r.blob() : null)).then((blob) => {
    const current = videos.get(video.id);
    if (!blob || !current || current.status !== "in_progress") return;
    if (!img) {
      img = el("img", { class: "preview" });
      li.querySelector("progress").after(img);
    } else {
      URL.revokeObjectURL(img.src);
    }
    img.alt = `Preview of “${video.prompt}” at step ${video.preview.step}`;
    img.src = URL.createObjectURL(blob);
  }).catch(() => {});
}

function renderMedia(li, video) {
  const media = li.querySelector(".media");
  if (video.status !== "completed" || media.querySelector("video")) return;
  media.append(el("video", { controls: "", preload: "none", playsinline: "", src: content(video.id),
    poster: content(video.id, "variant=thumbnail"), "aria-label": `Video: ${video.prompt}` }));
}

function renderActions(li, video, word) {
  const actions = li.querySelector(".actions");
  const items = [];
  if (video.status === "completed") {
    items.push(el("a", { href: content(video.id, "download=1"), download: `${video.id}.mp4`, class: "download button" }, "Download MP4"));
    items.push(button("Remix", "remix", () => remixForm(li, video)));
    const caps = capabilities();
    if (caps.extend) items.push(button("Extend", "extend", () => startFrom("extend", video)));
    if (caps.edit) items.push(button("Edit", "edit", () => startFrom("edit", video)));
  }
  if (video.status === "queued" || video.status === "in_progress") {
    items.push(button("Cancel", "cancel", () => act("Cancel", async () => render(await api("POST", `/v1/videos/${video.id}/cancel`)))));
  }
  if (word === "failed" || word === "cancelled") {
    items.push(button("Try again", "retry", () => act("Retry", async () => created([await api("POST", "/v1/videos", settingsOf(video))]))));
  }
  items.push(button("Use these settings", "reuse", () => useSettings(video)));
  items.push(button("Delete", "delete", () => act("Delete", async () => {
    if (!confirm(`Delete “${video.prompt}”? Its files are removed.`)) return;
    await api("DELETE", `/v1/videos/${video.id}`);
    remove(video.id, true);
  })));
  actions.replaceChildren(...items);
}

function remixForm(li, video) {
  if (li.querySelector(".remix-form")) { li.querySelector(".remix-form textarea").focus(); return; }
  const form = el("form", { class: "remix-form" });
  const id = `remix-${video.id}`;
  const text = el("textarea", { id, rows: "2", required: "" });
  text.value = video.prompt;
  form.append(el("label", { for: id }, "Prompt for the remix"), text, el("button", { type: "submit" }, "Remix it"));
  form.onsubmit = (event) => {
    event.preventDefault();
    act("Remix", async () => {
      const remix = await api("POST", `/v1/videos/${video.id}/remix`, { prompt: text.value });
      form.remove();
      created([remix]);
    });
  };
  li.querySelector(".actions").after(form);
  text.focus();
}

function renderShare(li, video) {
  const share = li.querySelector(".share");
  share.replaceChildren();
  if (video.status !== "completed") return;
  const downloadID = `allow-download-${video.id}`;
  const allow = el("input", { id: downloadID, type: "checkbox", class: "allow-download" });
  allow.checked = !!(video.share && video.share.allow_download);
  const allowLabel = el("label", { for: downloadID, class: "check" });
  allowLabel.append(allow, " Let viewers download the MP4");
  const publish = async (note) => {
    const body = { allow_download: allow.checked };
    if (note) body.note = note;
    await api("POST", `/v1/videos/${video.id}/publish`, body);
    render(await api("GET", `/v1/videos/${video.id}`));
    announce("Sent to a moderator for review.");
  };
  const state = video.share && video.share.state;
  if (!state) {
    share.append(allowLabel, button("Ask to publish", "publish", () => act("Publish", () => publish())));
  } else if (state === "pending") {
    share.append(el("span", { class: "share-state" }, "Publish: waiting for a moderator"));
  } else if (state === "approved") {
    const url = new URL(video.share.url, location.href).href;
    share.append(el("span", { class: "share-state" }, "Shared: "), el("a", { href: url }, url),
      button("Copy link", "copy", () => act("Copy", async () => { await navigator.clipboard.writeText(url); announce("Link copied."); })));
  } else {
    const id = `note-${video.id}`;
    const note = el("input", { id, type: "text", maxlength: "2000" });
    share.append(el("span", { class: "share-state rejected" }, `Publish: rejected${video.share.reason ? ` — ${video.share.reason}` : ""}`),
      el("label", { for: id }, "What changed? (needed to ask again)"), note, allowLabel,
      button("Ask again", "publish", () => act("Publish", async () => {
        if (!note.value.trim()) { note.focus(); throw new Error("Say what changed before asking again."); }
        await publish(note.value.trim());
      })));
  }
}

// Thumbs up/down and a note, kept on the server for the operator (`kino admin feedback`). Built once per card and
// updated in place, so focus and a note being typed survive the library's updates.
function renderFeedback(li, video) {
  const box = li.querySelector(".feedback");
  if (video.status !== "completed") { box.replaceChildren(); return; }
  if (!box.firstChild) {
    const send = (body) => act("Feedback", async () => {
      render(await api("POST", `/v1/videos/${video.id}/feedback`, body));
      announce("Thanks, feedback saved.");
    });
    const noteID = `feedback-note-${video.id}`;
    const note = el("input", { id: noteID, type: "text", maxlength: "2000", class: "feedback-note" });
    note.value = (video.feedback && video.feedback.note) || "";
    box.append(
      button("👍", "thumb up", function () { send({ rating: this.getAttribute("aria-pressed") === "true" ? "none" : "up" }); },
        { "aria-label": "Good result", "aria-pressed": "false" }),
      button("👎", "thumb down", function () { send({ rating: this.getAttribute("aria-pressed") === "true" ? "none" : "down" }); },
        { "aria-label": "Bad result", "aria-pressed": "false" }),
      el("label", { for: noteID, class: "visually-hidden" }, "Note on this result"), note,
      button("Save note", "save-note", () => send({ note: note.value })));
    note.placeholder = "a note on this result";
  }
  const rating = video.feedback && video.feedback.rating;
  box.querySelector(".up").setAttribute("aria-pressed", String(rating === "up"));
  box.querySelector(".down").setAttribute("aria-pressed", String(rating === "down"));
}

function remove(id, moveFocus) {
  const li = document.querySelector(`.job[data-id="${CSS.escape(id)}"]`);
  const next = li && (li.nextElementSibling || li.previousElementSibling);
  videos.delete(id);
  if (li) li.remove();
  if (moveFocus) (next ? next.querySelector(".prompt") : $("library-title")).focus();
  $("library-empty").hidden = videos.size > 0;
}

function filter(li) {
  const video = videos.get(li.dataset.id);
  const wanted = $("filter").value;
  const words = $("search").value.trim().toLowerCase();
  li.hidden = (wanted && statusWord(video) !== wanted) || (words && !video.prompt.toLowerCase().includes(words));
}

function created(list) {
  for (const video of list) render(video);
  const first = document.querySelector(`.job[data-id="${CSS.escape(list[0].id)}"] .prompt`);
  if (first) first.focus();
  announce(list.length === 1 ? `Queued: ${list[0].prompt}` : `Queued ${list.length} variations of: ${list[0].prompt}`);
  watch();
}

async function loadPage() {
  const page = await api("GET", `/v1/videos?limit=${PAGE}${cursor ? `&after=${encodeURIComponent(cursor)}` : ""}`);
  for (const video of page.data) render(video);
  cursor = page.has_more ? page.last_id : null;
  $("load-more").hidden = !cursor;
  watch();
}

// One event stream watches the newest videos, as many as are listed (at most 100); it reconnects by itself.
function watch() {
  const size = Math.min(100, Math.max(PAGE, videos.size));
  if (stream && size === streamWindow) return;
  if (stream) stream.close();
  streamWindow = size;
  stream = new EventSource(`/v1/videos/events?limit=${size}`);
  stream.addEventListener("video", (event) => render(JSON.parse(event.data)));
  stream.addEventListener("deleted", (event) => remove(JSON.parse(event.data).id, false));
}

async function loadModels() {
  const list = await api("GET", "/v1/models");
  const ordered = list.data.filter((m) => !m.alias_of).concat(list.data.filter((m) => m.alias_of));
  for (const m of ordered) models.set(m.id, m);
  $("model").replaceChildren(...ordered.map((m) => el("option", { value: m.id }, m.alias_of ? `${m.id} (runs ${m.alias_of})` : m.id)));
  modelChanged();
}

function capabilities() {
  const m = models.get($("model").value) || [...models.values()][0];
  return (m && m.capabilities) || {};
}

// What the chosen model can do: modes it cannot run stay in the list, disabled, with the reason in their label.
const MODE_LABELS = { text: "text only", image: "an image", extend: "a video to extend", edit: "a video to edit" };
const MODE_REASONS = {
  image: "this model was not trained to start from a picture",
  extend: "this model was not trained to continue a video",
  edit: "this server cannot re-render videos",
};
function modelChanged() {
  const caps = capabilities();
  const allowed = { text: true, image: !!caps.image_to_video, extend: !!caps.extend, edit: !!caps.edit };
  for (const option of $("mode").options) {
    option.disabled = !allowed[option.value];
    option.textContent = allowed[option.value] ? MODE_LABELS[option.value] : `${MODE_LABELS[option.value]} (not available: ${MODE_REASONS[option.value]})`;
  }
  if (!allowed[$("mode").value]) $("mode").value = "text";
  modeChanged();
  wordsChanged();
}

function modeChanged() {
  const mode = $("mode").value;
  $("image-field").hidden = mode !== "image";
  $("source-field").hidden = mode !== "extend" && mode !== "edit";
  $("strength-field").hidden = mode !== "edit";
  $("seconds-label").hidden = mode === "edit";
  $("seconds-caption").textContent = mode === "extend" ? "Seconds to add" : "Seconds";
  for (const id of ["size", "model"]) $(id).disabled = mode === "extend" || mode === "edit";
  refreshSources();
  const notes = {
    image: "The video starts from your picture (resized to the chosen size).",
    extend: "The result is the source followed by the added seconds; only the added seconds count against your limits.",
    edit: "The source is re-rendered with the new prompt, keeping its size and length; a higher strength changes more.",
  };
  const note = $("mode-note");
  const sources = $("source").options.length;
  note.textContent = (mode === "extend" || mode === "edit") && !sources ? "No completed video yet: make one first." : notes[mode] || "";
  note.hidden = !note.textContent;
}

// The completed videos a mode can start from, newest first.
function refreshSources() {
  const select = $("source");
  const chosen = select.value;
  const done = [...videos.values()].filter((v) => v.status === "completed").sort((a, b) => b.created_at - a.created_at);
  const key = done.map((v) => v.id).join(",");
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  select.replaceChildren(...done.map((v) => el("option", { value: v.id }, `${v.prompt.slice(0, 60)} (${v.seconds}s, ${v.size})`)));
  if (done.some((v) => v.id === chosen)) select.value = chosen;
}

// "Extend" and "Edit" on a card: the form switches to that mode with the card's video as the source.
function startFrom(mode, video) {
  $("mode").value = mode;
  modeChanged();
  $("source").value = video.id;
  $("prompt").value = video.prompt;
  $("prompt").focus();
  wordsChanged();
  announce(mode === "extend" ? "Extending this video: choose the seconds to add and Generate." : "Editing this video: change the prompt and Generate.");
}

// For models that declare their words (kino-tiny): which words of the prompt it does not know, and the list of
// those it does, by kind.
function wordsChanged() {
  const m = models.get($("model").value);
  const vocabulary = m && m.vocabulary;
  $("words").hidden = !vocabulary;
  if (!vocabulary) return;
  const known = new Set(vocabulary.words.concat(...Object.values(vocabulary.kinds)).flatMap(words));
  const unknown = [...new Set(words($("prompt").value).filter((w) => !known.has(w)))];
  const hint = $("words-hint");
  const name = m.alias_of || m.id;
  if (!words($("prompt").value).length) hint.textContent = `${name} draws only the words it was trained on; see the list below.`;
  else if (!unknown.length) hint.textContent = `${name} knows every word of this prompt.`;
  else {
    hint.replaceChildren(`${name} does not know `, ...unknown.flatMap((w, i) => [i ? ", " : "", el("span", { class: "unknown" }, w)]),
      `: it will ignore ${unknown.length === 1 ? "it" : "them"}. Use words from the list below.`);
  }
  const list = $("known-list");
  if (list.dataset.model !== name) {
    list.dataset.model = name;
    list.replaceChildren(...Object.keys(vocabulary.kinds).sort().flatMap((kind) => [el("dt", {}, kind), el("dd", {}, vocabulary.kinds[kind].join(", "))]));
  }
}

function words(text) {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

// A box with the chosen size's shape, and the chosen style's sample picture.
function sizeChanged() {
  const [w, h] = $("size").value.split("x").map(Number);
  const box = $("aspect").firstElementChild;
  const scale = 36 / Math.max(w, h);
  box.style.width = `${Math.round(w * scale)}px`;
  box.style.height = `${Math.round(h * scale)}px`;
}

function styleChanged() {
  const img = $("style-sample");
  const style = $("style").value || "plain";
  img.hidden = false;
  img.onerror = () => { img.hidden = true; };
  img.src = `/studio/styles/${encodeURIComponent(style)}.webp`;
  img.alt = `Sample of the ${style} style`;
}


async function submit(event) {
  event.preventDefault();
  showError("");
  const button = $("submit");
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  try {
    const body = settingsFromForm();
    const mode = $("mode").value;
    if ((mode === "extend" || mode === "edit") && !$("source").value) throw new Error("Choose the video to start from (a completed one).");
    const picture = $("image").files[0];
    if (mode === "image" && !picture) throw new Error("Choose an image to start from.");
    const count = Math.max(1, Math.min(4, Number($("variations").value) || 1));
    const made = [];
    for (let i = 0; i < count; i++) {
      const one = Object.assign({}, body);
      if (body.seed !== undefined) one.seed = (body.seed + i) % 4294967296;
      if (mode === "image") {
        const form = new FormData();
        for (const [key, value] of Object.entries(one)) form.append(key, String(value));
        form.append("input_reference", picture, picture.name);
        made.push(await apiForm("POST", "/v1/videos", form));
      } else {
        made.push(await api("POST", mode === "extend" ? "/v1/videos/extensions" : mode === "edit" ? "/v1/videos/edits" : "/v1/videos", one));
      }
    }
    created(made);
  } catch (e) {
    showError(e.message);
    announce(`Not queued: ${e.message}`);
    $("prompt").focus();
  } finally {
    button.removeAttribute("aria-disabled");
  }
}

async function start() {
  if (new URLSearchParams(location.search).get("error")) $("signin-error").hidden = false;
  const session = await signedInSession();
  if (!session) { $("key").focus(); return; }
  $("studio").hidden = false;
  $("signout").hidden = session.insecure_no_auth;
  $("signout").onclick = async () => {
    await fetch("/studio/logout", { method: "POST", headers: { "x-csrf-token": csrf || "" }, credentials: "same-origin" });
    location.href = "/";
  };
  $("create-form").addEventListener("submit", submit);
  $("model").addEventListener("change", modelChanged);
  $("mode").addEventListener("change", modeChanged);
  $("prompt").addEventListener("input", wordsChanged);
  $("size").addEventListener("change", sizeChanged);
  $("style").addEventListener("change", styleChanged);
  sizeChanged();
  styleChanged();
  $("load-more").onclick = () => act("Loading", loadPage);
  const refilter = () => document.querySelectorAll("#queue .job").forEach((li) => filter(li));
  for (const id of ["filter", "search"]) for (const type of ["input", "change"]) $(id).addEventListener(type, refilter);
  await act("Loading models", loadModels);
  await act("Loading the library", loadPage);
}

document.addEventListener("DOMContentLoaded", start);
