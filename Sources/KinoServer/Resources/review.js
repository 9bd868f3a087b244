"use strict";
let current = "pending";

function showError(message) {
  const error = document.getElementById("error");
  error.textContent = message;
  error.hidden = !message;
}

function item(share) {
  const li = el("li", { class: "job", "data-id": share.video_id, tabindex: "0", "aria-label": `Request: ${share.prompt}` });
  const video = el("video", { src: `/v1/review/${share.video_id}/content`, controls: "", playsinline: "", preload: "metadata",
    "aria-label": `Video: ${share.prompt}` });
  const reasonID = `reason-${share.video_id}`;
  const reason = el("input", { type: "text", id: reasonID, class: "reason", maxlength: "2000" });
  const decide = async (verb) => {
    if (verb === "reject" && !confirm(`Reject “${share.prompt}”? The owner sees your reason.`)) return;
    try {
      await api("POST", `/v1/review/${share.video_id}/${verb}`, { reason: reason.value });
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      announce(`${verb === "approve" ? "Approved" : "Rejected"}: ${share.prompt}`);
      document.getElementById("empty").hidden = document.querySelectorAll("#queue li").length > 0;
      (next || document.getElementById("review-title")).focus();
    } catch (e) { showError(e.message); }
  };
  li.append(el("h3", { class: "prompt" }, share.prompt), video,
    el("p", { class: "meta" }, `${share.project} · ${share.size} · ${share.seconds}s · ${share.model}`));
  if (share.note) li.append(el("p", { class: "note" }, `Owner's note: ${share.note}`));
  if (share.state === "pending") {
    li.append(el("label", { for: reasonID }, "Reason (shown to the owner)"), reason);
    const actions = el("div", { class: "actions" });
    actions.append(button("Approve", "approve", () => decide("approve")), button("Reject…", "reject", () => decide("reject")));
    li.append(actions);
    li.addEventListener("keydown", (event) => {
      if (event.target !== li) return;
      if (event.key === "a") decide("approve");
      if (event.key === "r") decide("reject");
    });
  } else {
    const link = share.share_url ? el("a", { href: share.share_url }, "public page") : null;
    li.append(el("p", { class: "meta" }, `${share.state}${share.reason ? ` — ${share.reason}` : ""}`));
    if (link) li.append(link);
  }
  return li;
}

async function show(state) {
  current = state;
  for (const tab of document.querySelectorAll("[role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.state === state));
  try {
    const queue = await api("GET", `/v1/review?state=${state}`);
    document.getElementById("queue").replaceChildren(...queue.data.map(item));
    document.getElementById("empty").hidden = queue.data.length > 0;
  } catch (e) { showError(e.message); }
}

async function start() {
  const session = await signedInSession();
  if (!session) return;
  document.getElementById("review").hidden = false;
  for (const tab of document.querySelectorAll("[role=tab]")) tab.onclick = () => show(tab.dataset.state);
  await show(current);
}

document.addEventListener("DOMContentLoaded", start);
