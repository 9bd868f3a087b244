"use strict";

function showError(message) {
  const error = document.getElementById("error");
  error.textContent = message;
  error.hidden = !message;
}

function item(share) {
  const li = el("li", { class: "job", "data-id": share.video_id });
  const video = el("video", { src: `/v1/review/${share.video_id}/content`, controls: "", playsinline: "", preload: "metadata" });
  const reason = el("input", { type: "text", placeholder: "reason (optional)", class: "reason" });
  const approve = el("button", { class: "approve" }, "Approve");
  const reject = el("button", { class: "reject" }, "Reject");
  const decide = async (verb) => {
    try {
      await api("POST", `/v1/review/${share.video_id}/${verb}`, { reason: reason.value });
      li.remove();
      document.getElementById("empty").hidden = document.querySelectorAll("#queue li").length > 0;
    } catch (e) { showError(e.message); }
  };
  approve.onclick = () => decide("approve");
  reject.onclick = () => decide("reject");
  li.append(video, el("div", { class: "prompt" }, share.prompt),
    el("div", { class: "meta" }, `${share.project} · ${share.size} · ${share.seconds}s · ${share.model}`),
    reason, approve, reject);
  return li;
}

async function start() {
  const session = await signedInSession();
  if (!session) return;
  try {
    const queue = await api("GET", "/v1/review");
    document.getElementById("review").hidden = false;
    document.getElementById("queue").replaceChildren(...queue.data.map(item));
    document.getElementById("empty").hidden = queue.data.length > 0;
  } catch (e) { showError(e.message); }
}

document.addEventListener("DOMContentLoaded", start);
