"use strict";
const streams = new Map();

function render(video) {
  let item = document.querySelector(`.job[data-id="${video.id}"]`);
  if (!item) {
    item = el("li", { class: "job", "data-id": video.id });
    item.append(el("div", { class: "prompt" }), el("div", { class: "meta" }), el("progress", { max: "100", value: "0" }));
    const queue = document.getElementById("queue");
    queue.prepend(item);
  }
  item.dataset.status = video.status;
  item.querySelector(".prompt").textContent = video.prompt;
  const meta = item.querySelector(".meta");
  meta.replaceChildren(
    el("span", { class: "status" }, video.status.replace("_", " ")),
    el("span", { class: "position" }, video.status === "queued" && video.queue_position ? `position ${video.queue_position} in queue` : ""),
    el("span", { class: "percent" }, `${video.progress}%`),
    el("span", {}, `${video.size}, ${video.seconds}s, seed ${video.seed}`));
  const bar = item.querySelector("progress");
  bar.value = video.progress;
  bar.hidden = video.status === "completed" || video.status === "failed";
  if (video.status === "failed" && video.error) meta.append(el("span", { class: "error" }, video.error.message));
  if (video.status === "completed" && !item.querySelector("video")) {
    const content = `/v1/videos/${encodeURIComponent(video.id)}/content`;
    const player = el("video", { controls: "", preload: "metadata", playsinline: "", src: content,
      poster: `${content}?variant=thumbnail` });
    const download = el("a", { href: `${content}?download=1`, download: `${video.id}.mp4`, class: "download" }, "Download MP4");
    const publish = el("button", { class: "publish" }, "Ask to publish");
    const shareState = el("span", { class: "share-state" });
    publish.onclick = async () => {
      try {
        const share = await api("POST", `/v1/videos/${encodeURIComponent(video.id)}/publish`);
        shareState.textContent = share.state === "approved" ? "shared" : `publish: ${share.state} (a moderator reviews it)`;
        publish.disabled = true;
      } catch (e) { shareState.textContent = e.message; }
    };
    item.append(player, download, " ", publish, " ", shareState);
  }
  if (video.status === "queued" || video.status === "in_progress") follow(video.id);
}

function follow(id) {
  if (streams.has(id)) return;
  const source = new EventSource(`/v1/videos/${encodeURIComponent(id)}/events`);
  streams.set(id, source);
  source.addEventListener("video", (event) => {
    const video = JSON.parse(event.data);
    render(video);
    if (video.status === "completed" || video.status === "failed") { source.close(); streams.delete(id); }
  });
  source.onerror = () => { source.close(); streams.delete(id); };
}

async function refresh() {
  try {
    const page = await api("GET", "/v1/videos?limit=50&order=asc");
    for (const video of page.data) render(video);
  } catch (error) {
    console.warn(error);
  }
}

async function start() {
  if (new URLSearchParams(location.search).get("error")) document.getElementById("signin-error").hidden = false;
  const session = await signedInSession();
  if (!session) return;
  document.getElementById("studio").hidden = false;
  const signout = document.getElementById("signout");
  signout.hidden = session.insecure_no_auth;
  signout.onclick = async () => {
    await fetch("/studio/logout", { method: "POST", headers: { "x-csrf-token": csrf || "" }, credentials: "same-origin" });
    location.href = "/";
  };
  document.getElementById("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = document.getElementById("submit");
    const error = document.getElementById("create-error");
    button.disabled = true;
    error.hidden = true;
    try {
      const video = await api("POST", "/v1/videos", {
        prompt: document.getElementById("prompt").value,
        size: document.getElementById("size").value,
        seconds: document.getElementById("seconds").value,
      });
      render(video);
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  await refresh();
  setInterval(refresh, 3000);
}

document.addEventListener("DOMContentLoaded", start);
