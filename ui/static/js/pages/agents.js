// Agents: each node with its reachability, resources used of total, attributes and tasks.
import { ago, badge, fmtCpus, fmtMem, h, link, meter, table } from "../dom.js";

const TERMINAL = ["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
  "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"];

export function liveTasksOf(store, agentId) {
  return (store.tasks || []).filter((t) => t.slave_id === agentId && !TERMINAL.includes(t.state));
}

function attributes(agent) {
  const entries = Object.entries(agent.attributes || {});
  if (!entries.length) return h("span.muted", "–");
  return entries.map(([k, v]) => h("span.chip", `${k}:${v}`));
}

function status(agent) {
  return badge(agent.status || (agent.active ? "ACTIVE" : "INACTIVE"));
}

export function renderAgents(store) {
  const agents = [...(store.agents || [])].sort((a, b) => a.hostname.localeCompare(b.hostname)
    || a.id.localeCompare(b.id));
  const rows = agents.map((agent) => {
    const total = agent.resources || {};
    const used = agent.used_resources || {};
    return h("tr", { "data-agent": agent.id },
      h("td", link(`#/agents/${encodeURIComponent(agent.id)}`, agent.hostname),
        h("div.sub.mono", { title: agent.id }, agent.id.slice(0, 13))),
      h("td", status(agent)),
      h("td", meter(used.cpus || 0, total.cpus || 0, fmtCpus)),
      h("td", meter(used.mem || 0, total.mem || 0, fmtMem)),
      h("td", meter(used.disk || 0, total.disk || 0, fmtMem)),
      h("td.mono", total.ports || "–"),
      h("td", attributes(agent)),
      h("td.num", String(liveTasksOf(store, agent.id).length)));
  });
  const reachable = agents.filter((a) => a.active).length;
  return [
    h("div.page-head", h("h1", "Agents"),
      h("span.summary", h("span", `${reachable} active`), h("span", `${agents.length - reachable} not active`))),
    store.errors.agents ? h("p.error-box", `Could not list agents: ${store.errors.agents.message}`) : null,
    store.agents === null ? h("p.muted", "Loading…")
      : table(["Agent", "Status", "CPUs", "Memory", "Disk", "Ports", "Attributes", "Tasks"], rows,
        h("span", "No agent has registered. Start one with ", h("code", "berth agent --master=<this host>:5050"), ".")),
  ];
}

export function renderAgent(store, id) {
  const agent = (store.agents || []).find((a) => a.id === id);
  if (!agent) {
    return [h("nav.crumbs", link("#/agents", "Agents"), " / ", id),
      h("p.empty", store.agents === null ? "Loading…" : "No such agent.")];
  }
  const total = agent.resources || {};
  const used = agent.used_resources || {};
  const tasks = liveTasksOf(store, agent.id);
  const volumes = (store.volumes || []).filter((v) => v.attachment && v.attachment.agentId === agent.id
    || v.agentId === agent.id);
  return [
    h("nav.crumbs", link("#/agents", "Agents"), " / ", agent.hostname),
    h("div.page-head", h("h1", agent.hostname), status(agent)),
    h("dl.facts",
      h("dt", "ID"), h("dd.mono", agent.id),
      h("dt", "Address"), h("dd.mono", agent.pid ? agent.pid.replace(/^slave\(1\)@/, "") : `${agent.hostname}:${agent.port}`),
      h("dt", "Registered"), h("dd", agent.registered_time ? ago(agent.registered_time * 1000) : "–"),
      h("dt", "Version"), h("dd", agent.version || "–"),
      h("dt", "CPUs"), h("dd", meter(used.cpus || 0, total.cpus || 0, fmtCpus)),
      h("dt", "Memory"), h("dd", meter(used.mem || 0, total.mem || 0, fmtMem)),
      h("dt", "Disk"), h("dd", meter(used.disk || 0, total.disk || 0, fmtMem)),
      h("dt", "Ports"), h("dd.mono", `${used.ports || "[]"} used of ${total.ports || "[]"}`),
      h("dt", "Attributes"), h("dd", attributes(agent))),
    h("section", h("h2", "Tasks"), table(["Task", "State", "CPUs", "Memory", "Ports"],
      tasks.map((t) => h("tr", { "data-task": t.id },
        h("td.mono", t.id), h("td", badge(t.state)),
        h("td.num", fmtCpus(t.resources && t.resources.cpus)),
        h("td.num", fmtMem(t.resources && t.resources.mem)),
        h("td.mono", (t.ports || []).join(", ") || "–"))),
      "No task runs here.")),
    h("section", h("h2", "Volumes"), table(["Volume", "State", "Epoch"],
      volumes.map((v) => h("tr", h("td", link(`#/volumes/${encodeURIComponent(v.name)}`, v.name)),
        h("td", badge(v.state)), h("td.num", v.attachment ? String(v.attachment.epoch) : "–"))),
      "No volume is attached here.")),
  ];
}
