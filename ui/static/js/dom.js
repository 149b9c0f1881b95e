// Small DOM helpers: element building without innerHTML (so API text is never parsed as HTML),
// and the formatters every page shares.

// h("td.num", {title: "x"}, child, ...): an element; a child may be a node, text, or an array.
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// A coloured label for a state: green for good, amber for in-between, red for bad.
const TONES = {
  ok: ["TASK_RUNNING", "RUNNING", "ACTIVE", "ATTACHED", "AVAILABLE", "HEALTHY", "DEPLOYED", "ready"],
  busy: ["TASK_STAGING", "TASK_STARTING", "TASK_KILLING", "STAGING", "DEPLOYING", "ATTACHING",
    "DETACHING", "CREATING", "DELETING", "WAITING", "RECOVERED", "SCALING", "SUSPENDED"],
  bad: ["TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_GONE", "TASK_DROPPED", "TASK_UNREACHABLE",
    "UNREACHABLE", "FENCING", "UNHEALTHY", "FAILED", "DELAYED"],
};
export function badge(state, text) {
  let tone = "neutral";
  for (const [name, states] of Object.entries(TONES)) if (states.includes(state)) tone = name;
  return h(`span.badge.${tone}`, { "data-state": state }, text ?? state.replace(/^TASK_/, ""));
}

export function fmtMem(mib) {
  if (mib === undefined || mib === null) return "–";
  if (mib >= 1024 * 1024) return `${+(mib / 1024 / 1024).toFixed(1)} TiB`;
  if (mib >= 1024) return `${+(mib / 1024).toFixed(1)} GiB`;
  return `${+(+mib).toFixed(0)} MiB`;
}

export function fmtCpus(cpus) {
  return cpus === undefined || cpus === null ? "–" : String(+(+cpus).toFixed(2));
}

// "2026-11-29T12:43:41.002Z" -> "12:43:41" today, or the date and time otherwise.
export function fmtTime(stamp) {
  if (!stamp) return "–";
  const date = typeof stamp === "number" ? new Date(stamp * 1000) : new Date(stamp);
  if (Number.isNaN(date.getTime())) return String(stamp);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

export function ago(stamp) {
  if (!stamp) return "";
  const seconds = Math.max(0, (Date.now() - new Date(stamp).getTime()) / 1000);
  if (seconds < 60) return `${Math.round(seconds)}s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

// A bar for used/total, with the numbers beside it.
export function meter(used, total, format = String) {
  const fraction = total > 0 ? Math.min(1, used / total) : 0;
  const tone = fraction > 0.9 ? "bad" : fraction > 0.7 ? "busy" : "ok";
  return h("span.meter", { title: `${Math.round(fraction * 100)}%` },
    h("span.meter-bar", h(`span.meter-fill.${tone}`, { style: `width:${fraction * 100}%` })),
    h("span.meter-text", `${format(used)} / ${format(total)}`));
}

// A table, or a placeholder paragraph (text or nodes) when there are no rows.
export function table(headers, rows, empty = "Nothing here yet.") {
  if (!rows.length) return h("p.empty", empty);
  return h("table.grid",
    h("thead", h("tr", headers.map((title) => h("th", title)))),
    h("tbody", rows));
}

export function link(href, text) { return h("a", { href }, text); }

// "#/apps/%2Fweb" <-> "/web": app ids are paths, so they travel encoded in one hash segment.
export function appHref(id) { return `#/apps/${encodeURIComponent(id)}`; }
