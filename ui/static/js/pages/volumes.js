// Volumes: every volume with its state, driver, size and attachment; one volume's attachment
// history; and the volume events as they arrive (fencing and failovers stand out).
import { ago, badge, fmtMem, fmtTime, h, link, table } from "../dom.js";

function agentName(store, agentId) {
  const agent = (store.agents || []).find((a) => a.id === agentId);
  return agent ? agent.hostname : agentId ? agentId.slice(0, 13) : "–";
}

function agentLink(store, agentId) {
  if (!agentId) return "–";
  return link(`#/agents/${encodeURIComponent(agentId)}`, agentName(store, agentId));
}

export function renderVolumes(store) {
  const volumes = [...(store.volumes || [])];
  const rows = volumes.map((v) => h("tr", { "data-volume": v.name },
    h("td", link(`#/volumes/${encodeURIComponent(v.name)}`, v.name)),
    h("td", badge(v.state)),
    h("td", v.driver),
    h("td.num", fmtMem(v.size)),
    h("td", `${v.kind}${v.accessMode === "shared" ? ", shared" : ""}`),
    h("td", v.attachment ? agentLink(store, v.attachment.agentId) : v.agentId ? h("span.muted", agentName(store, v.agentId)) : "–"),
    h("td.num", v.attachment ? String(v.attachment.epoch) : "–"),
    h("td", v.appId ? link(`#/apps/${encodeURIComponent(v.appId)}`, v.appId) : "–"),
    h("td", v.lastError ? h("span.bad-text", { title: v.lastError.message }, v.lastError.message) : "")));
  return [
    h("div.page-head", h("h1", "Volumes"),
      h("span.summary", h("span", `${volumes.length} volumes`),
        h("span", `${volumes.filter((v) => v.attachment).length} attached`))),
    store.errors.volumes ? h("p.error-box", `Could not list volumes: ${store.errors.volumes.message}`) : null,
    store.volumes === null ? h("p.muted", "Loading…")
      : table(["Name", "State", "Driver", "Size", "Kind", "Attached to", "Epoch", "App", "Last error"], rows,
        h("span", "No volumes. Apps create theirs on first use; ", h("code", "berth volume create NAME"),
          " makes one by hand.")),
    eventsSection(store),
  ];
}

export function renderVolume(store, name) {
  const v = (store.volumes || []).find((x) => x.name === name);
  if (!v) {
    return [h("nav.crumbs", link("#/volumes", "Volumes"), " / ", name),
      h("p.empty", store.volumes === null ? "Loading…" : "No such volume (it may have been deleted).")];
  }
  const history = [...(v.attachmentHistory || [])].reverse();
  return [
    h("nav.crumbs", link("#/volumes", "Volumes"), " / ", v.name),
    h("div.page-head", h("h1", v.name), badge(v.state)),
    v.lastError ? h("p.notice.bad", h("strong", "Last error: "), `${v.lastError.message} (${ago(v.lastError.timestamp)})`) : null,
    h("dl.facts",
      h("dt", "Driver"), h("dd", v.driver),
      h("dt", "Size"), h("dd", fmtMem(v.size)),
      h("dt", "Filesystem"), h("dd", v.fsType || "–"),
      h("dt", "Kind"), h("dd", `${v.kind}, ${v.accessMode}`),
      h("dt", "Attached to"), h("dd", v.attachment ? [agentLink(store, v.attachment.agentId),
        ` epoch ${v.attachment.epoch}, since ${fmtTime(v.attachment.since)}`] : "–"),
      v.agentId ? [h("dt", "Lives on"), h("dd", agentLink(store, v.agentId))] : null,
      h("dt", "Claims"), h("dd", (v.claims || []).length ? (v.claims || []).map((c) => h("code.chip", typeof c === "string" ? c : JSON.stringify(c))) : "none"),
      h("dt", "App"), h("dd", v.appId ? link(`#/apps/${encodeURIComponent(v.appId)}`, v.appId) : "–"),
      v.fenceAt ? [h("dt", "Fence at"), h("dd", fmtTime(v.fenceAt))] : null,
      v.deadline ? [h("dt", "Deadline"), h("dd", fmtTime(v.deadline))] : null,
      Object.keys(v.options || {}).length ? [h("dt", "Options"),
        h("dd", Object.entries(v.options).map(([k, val]) => h("code.chip", `${k}=${val}`)))] : null,
      h("dt", "Created"), h("dd", fmtTime(v.createdAt))),
    h("section", h("h2", "Attachment history"),
      table(["Agent", "Epoch", "Attached", "Detached", "Ended by"], history.map((a) => h("tr",
        h("td", agentLink(store, a.agentId)), h("td.num", String(a.epoch)),
        h("td", fmtTime(a.attachedAt)), h("td", a.detachedAt ? fmtTime(a.detachedAt) : "–"),
        h("td", a.endedBy ? badge(a.endedBy === "fenced" ? "FENCING" : "DETACHED", a.endedBy) : "–"))),
      "Never attached.")),
    eventsSection(store, v.name),
  ];
}

const ALARMING = ["volume_fencing", "volume_fenced", "volume_failed_over", "volume_revoked", "volume_error"];

function eventsSection(store, only) {
  const events = store.events.filter((e) => e.type.startsWith("volume_") && (!only || e.data.volume === only));
  const rows = events.slice(0, 50).map((e) => h(`tr${ALARMING.includes(e.type) ? ".alarm" : ""}`,
    { "data-event": e.type },
    h("td.nowrap", fmtTime(e.data.timestamp)),
    h("td.nowrap", h("code", e.type.replace(/^volume_/, ""))),
    h("td.nowrap", link(`#/volumes/${encodeURIComponent(e.data.volume)}`, e.data.volume)),
    h("td.nowrap", agentLink(store, e.data.agentId)),
    h("td.num", e.data.epoch ?? "–"),
    h("td.num", e.data.durationSeconds !== undefined ? `${(+e.data.durationSeconds).toFixed(2)} s` : ""),
    h("td", e.data.message || "")));
  return h("section", h("h2", "Volume events ", h("span.muted.small", "(live, since this page was opened)")),
    table(["Time", "Event", "Volume", "Agent", "Epoch", "Took", "Message"], rows,
      store.mode === "live" ? "None yet: they appear here as they happen." : "The event stream is not connected."));
}
