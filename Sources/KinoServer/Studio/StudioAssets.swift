/// The studio's page, script and style: plain files served by Kino, no front-end toolchain.
/// The script never handles the API key: sign-in is a plain form post that sets an HttpOnly cookie.
enum StudioAssets {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Kino Studio</title>
      <link rel="stylesheet" href="/studio/app.css">
      <script src="/studio/app.js" defer></script>
    </head>
    <body>
      <header>
        <h1>Kino Studio</h1>
        <a href="/gallery">Gallery</a> <a href="/studio/review">Review</a>
        <span id="who"></span>
        <button id="signout" hidden>Sign out</button>
      </header>
      <main>
        <section id="signin" hidden>
          <h2>Sign in</h2>
          <p>Paste an API key once. The studio keeps a session cookie; the key is not stored in the page.</p>
          <form id="signin-form" method="post" action="/studio/session">
            <input id="key" name="key" type="password" autocomplete="off" placeholder="kino_..." required>
            <button id="signin-submit" type="submit">Sign in</button>
          </form>
          <p id="signin-error" class="error" hidden>That key was not accepted (wrong, revoked or expired).</p>
        </section>
        <section id="studio" hidden>
          <form id="create-form">
            <label for="prompt">Prompt</label>
            <textarea id="prompt" name="prompt" rows="3" maxlength="32000" required
              placeholder="a red ball bounces across green grass"></textarea>
            <div class="row">
              <label>Size
                <select id="size" name="size">
                  <option value="720x1280">720x1280 (portrait)</option>
                  <option value="1280x720">1280x720 (landscape)</option>
                  <option value="1024x1792">1024x1792</option>
                  <option value="1792x1024">1792x1024</option>
                </select>
              </label>
              <label>Seconds
                <select id="seconds" name="seconds">
                  <option value="4">4</option>
                  <option value="8">8</option>
                  <option value="12">12</option>
                </select>
              </label>
              <button id="submit" type="submit">Generate</button>
            </div>
            <p id="create-error" class="error" hidden></p>
          </form>
          <h2>Queue and gallery</h2>
          <ol id="queue"></ol>
        </section>
      </main>
    </body>
    </html>
    """#

    static let css = #"""
    body { font-family: system-ui, sans-serif; margin: 0; background: #111; color: #eee; }
    header { display: flex; gap: 1rem; align-items: center; padding: .75rem 1.5rem; background: #1c1c1c; }
    header h1 { font-size: 1.2rem; margin: 0; flex: 1; }
    main { max-width: 60rem; margin: 0 auto; padding: 1rem 1.5rem; }
    textarea, input, select, button { font: inherit; padding: .4rem .6rem; border-radius: .3rem; border: 1px solid #444; background: #222; color: #eee; }
    textarea { width: 100%; box-sizing: border-box; }
    button { background: #2f6feb; border-color: #2f6feb; cursor: pointer; }
    button:disabled { opacity: .5; }
    .row { display: flex; gap: 1rem; align-items: end; margin-top: .5rem; }
    .error { color: #ff7b72; }
    #queue { list-style: none; padding: 0; display: grid; gap: .75rem; }
    .job { background: #1c1c1c; border-radius: .4rem; padding: .75rem; }
    .job .meta { font-size: .85rem; color: #aaa; display: flex; gap: 1rem; flex-wrap: wrap; }
    .job progress { width: 100%; }
    .job video { max-width: 100%; max-height: 24rem; display: block; margin-top: .5rem; background: #000; }
    .job a, header a { color: #79c0ff; }
    .share video { max-width: 100%; max-height: 70vh; display: block; background: #000; }
    .share .meta { color: #aaa; font-size: .85rem; }
    .gallery { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem; }
    .gallery a { color: #eee; text-decoration: none; display: block; background: #1c1c1c; border-radius: .4rem; overflow: hidden; }
    .gallery img { width: 100%; display: block; background: #000; }
    .gallery span { display: block; padding: .5rem; font-size: .85rem; }
    """#

    static let javascript = #"""
    "use strict";
    let csrf = null;
    const streams = new Map();

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
      const session = await (await fetch("/studio/session", { credentials: "same-origin" })).json();
      if (!session.signed_in) { document.getElementById("signin").hidden = false; return; }
      csrf = session.csrf_token;
      document.getElementById("who").textContent = `${session.key_name} · ${session.project}`;
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
    """#
}
