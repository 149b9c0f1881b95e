// The UI's entry point: hash routing (#/apps, #/apps/<id>, #/agents, #/agents/<id>, #/volumes,
// #/volumes/<name>, #/about), re-rendering the page whenever the cluster view changes, and the header's
// connection indicator.
import { h } from "./dom.js";
import { toast } from "./dialogs.js";
import { onEvent, onMode, start, store, subscribe } from "./live.js";
import { renderAbout } from "./pages/about.js";
import { renderApp } from "./pages/app.js";
import { renderApps } from "./pages/apps.js";
import { renderAgent, renderAgents } from "./pages/agents.js";
import { renderVolume, renderVolumes } from "./pages/volumes.js";

const page = document.getElementById("page");

function route() {
  const [section = "apps", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : null;
  switch (section) {
    case "apps": return { key: `apps/${arg}`, nav: "apps", render: (ctx) => (arg ? renderApp(store, ctx, arg) : renderApps(store, ctx)) };
    case "agents": return { key: `agents/${arg}`, nav: "agents", render: () => (arg ? renderAgent(store, arg) : renderAgents(store)) };
    case "volumes": return { key: `volumes/${arg}`, nav: "volumes", render: () => (arg ? renderVolume(store, arg) : renderVolumes(store)) };
    case "about": return { key: "about", nav: "about", render: (ctx) => renderAbout(ctx) };
    default: return { key: "404", nav: null, render: () => [h("h1", "Not found"), h("p", h("a", { href: "#/apps" }, "Applications"))] };
  }
}

// Per-page state that survives re-renders (a filter, fetched versions); reset on navigation.
let ctx = null;
let current = null;

// True while the user has text selected on the page (to copy a task id, say): a re-render would
// take the selection away, so it waits until the selection is gone.
function selecting() {
  const selection = window.getSelection();
  return selection && !selection.isCollapsed && page.contains(selection.anchorNode);
}
let deferred = false;
document.addEventListener("selectionchange", () => {
  if (deferred && !selecting()) { deferred = false; render(); }
});

function render(options = {}) {
  const next = route();
  if (current && current.key === next.key && !options.keepFocus && selecting()) {
    deferred = true;
    return;
  }
  if (!current || current.key !== next.key) {
    ctx = { rerender: (o) => render(o) };
    current = next;
  }
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.classList.toggle("active", a.dataset.nav === next.nav);
  }
  const scroll = window.scrollY;
  page.replaceChildren(...[next.render(ctx)].flat(Infinity).filter(Boolean));
  window.scrollTo(0, scroll);
  if (options.keepFocus) {
    const el = page.querySelector(`[data-focus-key="${options.keepFocus}"]`);
    if (el) { el.focus(); el.setSelectionRange(el.value.length, el.value.length); }
  }
  document.title = `Berth · ${next.nav ? next.nav[0].toUpperCase() + next.nav.slice(1) : "Not found"}`;
}

const MODES = {
  connecting: ["connecting…", "busy", "Connecting to the event stream"],
  live: ["live", "ok", "Updates arrive through the event stream (/v2/events)"],
  polling: ["polling", "busy", "The event stream is down: polling every 2 s while it reconnects"],
  offline: ["master unreachable", "bad", "The master does not answer; retrying"],
};
function showMode(mode) {
  const el = document.getElementById("connection");
  const [text, tone, title] = MODES[mode] || MODES.connecting;
  el.textContent = text;
  el.className = `connection ${tone}`;
  el.dataset.mode = mode;
  el.title = title;
}

// Failovers and fences are what an operator must not miss: say so wherever they are.
onEvent((type, data) => {
  if (type === "volume_failed_over") {
    toast(`Volume ${data.volume} failed over (epoch ${data.epoch}) in ${(+data.durationSeconds || 0).toFixed(1)} s`, "busy");
  } else if (type === "volume_fencing") {
    toast(`Volume ${data.volume}: its agent is unreachable; fencing`, "bad");
  } else if (type === "volume_error") {
    toast(`Volume ${data.volume}: ${data.message}`, "bad");
  } else if (type === "deployment_failed") {
    toast(`Deployment ${String(data.id || "").slice(0, 8)} failed`, "bad");
  }
});

subscribe(() => render());
onMode(showMode);
window.addEventListener("hashchange", () => { render(); window.scrollTo(0, 0); });
if (!location.hash) history.replaceState(null, "", "#/apps");
showMode(store.mode);
render();
start();
// For tests and the curious: the live view of the cluster.
window.berth = { store };
