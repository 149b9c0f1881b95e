// The tail of a task's stdout and stderr on the app page, followed as the task writes. The
// browser reaches only the master, whose /files/read forwards to the task's agent (docs/ui.md);
// offsets and lengths are bytes, as the agent counts them. It polls every 2 s, only while its
// element is on the page and the browser tab is visible, and stops for good once the page has
// moved on.
import { api } from "./api.js";
import { h } from "./dom.js";

const POLL_MS = 2000;
const WINDOW = 32 * 1024;  // bytes shown at first: the tail, not the whole file
const CHUNK = 64 * 1024;   // bytes asked per read
const MAX_CHUNKS = 4;      // per file and poll: a task that writes faster is skipped ahead
const KEEP = 64 * 1024;    // characters kept per file, the oldest lines dropped first

// One file of the sandbox: how far it has been read, and its text so far.
class FileTail {
  constructor(taskId, name) {
    this.name = name;
    this.path = `${taskId}/${name}`;
    this.offset = null;  // null: start again from the tail (first poll, or after falling behind)
    this.partial = false;  // the next data starts mid-line: drop up to the first newline
    this.text = "";
  }

  // Reads what the file gained; true when the text changed.
  async poll() {
    let changed = false;
    if (this.offset === null) {
      const size = (await api.readFile(this.path, -1)).offset;
      this.offset = Math.max(0, size - WINDOW);
      this.partial = this.offset > 0;
      if (this.text && this.partial) { this.append("\n[… skipped …]\n"); changed = true; }
    }
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const chunk = await api.readFile(this.path, this.offset, CHUNK);
      // `length` counts bytes (non-UTF-8 bytes arrive replaced, so the text may differ).
      const bytes = chunk.length ?? new TextEncoder().encode(chunk.data).length;
      if (!bytes) return changed;
      this.offset += bytes;
      let data = chunk.data;
      if (this.partial) {
        const newline = data.indexOf("\n");
        this.partial = newline < 0;
        data = data.slice(newline + 1);
      }
      if (data) { this.append(data); changed = true; }
      if (bytes < CHUNK) return changed;
    }
    this.offset = null;
    return changed;
  }

  append(data) {
    this.text += data;
    if (this.text.length > KEEP) {
      const cut = this.text.indexOf("\n", this.text.length - KEEP);
      this.text = this.text.slice(cut < 0 ? this.text.length - KEEP : cut + 1);
    }
  }
}

// The panes of one task's files. `el` is built once and moved into each re-render of the page.
export class LogTail {
  constructor(taskId) {
    this.taskId = taskId;
    this.stopped = false;
    this.panes = ["stdout", "stderr"].map((name) => this.pane(new FileTail(taskId, name)));
    this.el = h("div.log-panes", { "data-logs-of": taskId }, this.panes.map((p) => p.el));
    // The first poll waits for the render that puts `el` on the page.
    this.timer = setTimeout(() => this.tick(), 0);
  }

  pane(file) {
    const status = h("span.log-status.muted.small", "loading…");
    const pre = h("pre.log", { "data-file": file.name, tabindex: "0" });
    const pane = { file, pre, status, stick: true, scrollTop: 0,
      el: h("div.log-pane", h("div.log-head", h("strong", file.name), status), pre) };
    // Follows the end unless the reader has scrolled up to read something.
    pre.addEventListener("scroll", () => {
      pane.stick = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
      pane.scrollTop = pre.scrollTop;
    });
    return pane;
  }

  async tick() {
    if (this.stopped) return;
    if (!this.el.isConnected) { this.stop(); return; }
    if (!document.hidden) await Promise.all(this.panes.map((pane) => this.update(pane)));
    if (!this.stopped) this.timer = setTimeout(() => this.tick(), POLL_MS);
  }

  async update(pane) {
    try {
      if (await pane.file.poll()) pane.pre.textContent = pane.file.text;
      pane.status.textContent = pane.file.text ? "" : "empty";
      pane.status.classList.remove("bad-text");
    } catch (error) {
      // 404: no such file yet (a task still starting) or no more (its sandbox was removed).
      pane.status.textContent = error.status === 404 ? "no such file (yet)" : error.message;
      pane.status.classList.toggle("bad-text", error.status !== 404);
      pane.file.offset = null;
    }
    this.restoreScroll(pane);
  }

  // A re-render detaches and re-attaches the panes, which loses their scroll positions.
  restoreScroll(pane) {
    if (pane) {
      pane.pre.scrollTop = pane.stick ? pane.pre.scrollHeight : pane.scrollTop;
    } else {
      for (const p of this.panes) this.restoreScroll(p);
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
