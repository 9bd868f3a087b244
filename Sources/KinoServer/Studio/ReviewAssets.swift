/// The studio's review page for keys with the `moderator` scope: the queue of videos whose projects asked to
/// publish them, each with a player and approve / reject (with an optional reason). Same session and CSRF
/// handling as the studio (`StudioAssets`).
enum ReviewAssets {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Kino Review</title>
      <link rel="stylesheet" href="/studio/app.css">
      <script src="/studio/review.js" defer></script>
    </head>
    <body>
      <header>
        <h1>Kino Review</h1>
        <span id="who"></span>
        <a href="/">Studio</a> <a href="/gallery">Gallery</a>
      </header>
      <main>
        <p id="signin" hidden>Sign in on the <a href="/">studio page</a> with a key that has the moderator scope.</p>
        <p id="error" class="error" hidden></p>
        <section id="review" hidden>
          <h2>Waiting for review</h2>
          <p id="empty" hidden>Nothing to review.</p>
          <ul id="queue"></ul>
        </section>
      </main>
    </body>
    </html>
    """#

    static let javascript = #"""
    "use strict";
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
      const data = await response.json();
      if (!response.ok) throw new Error((data && data.error && data.error.message) || response.statusText);
      return data;
    }

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
      const session = await (await fetch("/studio/session", { credentials: "same-origin" })).json();
      if (!session.signed_in) { document.getElementById("signin").hidden = false; return; }
      csrf = session.csrf_token;
      document.getElementById("who").textContent = `${session.key_name} · ${session.project}`;
      try {
        const queue = await api("GET", "/v1/review");
        document.getElementById("review").hidden = false;
        document.getElementById("queue").replaceChildren(...queue.data.map(item));
        document.getElementById("empty").hidden = queue.data.length > 0;
      } catch (e) { showError(e.message); }
    }

    document.addEventListener("DOMContentLoaded", start);
    """#
}
