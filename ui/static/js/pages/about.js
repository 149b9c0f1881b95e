// About: which Berth this is, who leads, since when, and the settings that decide how fast a
// lost node is noticed and its volumes fenced. From GET /v2/info (Marathon's) and
// GET /master/state (Mesos' shape, with the master's flags), fetched once per visit.
import { api } from "../api.js";
import { fmtTime, h } from "../dom.js";

function load(ctx) {
  if (ctx.about) return;
  ctx.about = { info: null, state: null, errors: [] };
  const fetchInto = (key, fetchIt) => fetchIt()
    .then((value) => { ctx.about[key] = value; })
    .catch((error) => { ctx.about.errors.push(`${key === "info" ? "/v2/info" : "/master/state"}: ${error.message}`); })
    .finally(() => ctx.rerender());
  fetchInto("info", api.info);
  fetchInto("state", api.masterState);
}

// 93784 -> "1d 2h 3m": the two largest units that are not zero.
function uptime(seconds) {
  const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts = [];
  let left = Math.max(0, Math.floor(seconds));
  for (const [name, size] of units) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n || parts.length) parts.push(`${n}${name}`);
  }
  return (parts.length ? parts : ["0s"]).slice(0, 2).join(" ");
}

function fact(key, label, value, hint) {
  return [h("dt", label), h("dd", { "data-fact": key }, value ?? "–", hint ? h("div.sub", hint) : null)];
}

export function renderAbout(ctx) {
  load(ctx);
  const { info, state, errors } = ctx.about;
  const head = [h("div.page-head", h("h1", "About"))];
  const problems = errors.map((message) => h("p.error-box", message));
  if (!info || !state) return [...head, ...problems, errors.length ? null : h("p.muted", "Loading…")];
  const config = info.marathon_config || {};
  const flags = state.flags || {};
  const zk = info.zookeeper_config || {};
  const started = state.start_time ? new Date(state.start_time * 1000) : null;
  const store = flags.state === "sqlite" ? `SQLite, ${flags.work_dir}/state.db`
    : flags.state === "memory" ? "in memory (lost when the master stops)" : flags.state;
  return [
    ...head, ...problems,
    h("dl.facts",
      fact("version", "Berth version", state.version),
      fact("api", "Marathon API", `${info.version} (${info.buildref})`),
      fact("leader", "Leader", info.leader, info.elected ? "this master (elected)" : "another master"),
      fact("master", "Master", `${state.hostname}`,
        `API and UI on port ${(info.http_config || {}).http_port}; agents connect to port ${flags.port}`),
      fact("framework", "Framework", config.framework_name, h("span.mono", info.frameworkId)),
      fact("uptime", "Up", started ? uptime((Date.now() - started.getTime()) / 1000) : null,
        started ? `since ${fmtTime(started.toISOString())}` : null),
      fact("agents", "Agents", `${state.activated_slaves} active, ${state.deactivated_slaves} not`)),
    h("section", h("h2", "Configuration"), h("dl.facts",
      fact("state", "State store", store),
      fact("zk", "ZooKeeper", zk.zk || h("span.muted", "not used"),
        zk.zk ? null : "one master; no leader election"),
      fact("heartbeats", "Agent heartbeats", flags.heartbeat_interval && `every ${flags.heartbeat_interval}`,
        flags.max_missed_heartbeats && `an agent is unreachable after ${flags.max_missed_heartbeats} missed`),
      fact("reregister", "Re-registration", flags.agent_reregister_timeout,
        "after a master restart, how long agents have to come back"),
      fact("lease", "Volume lease", flags.volume_lease,
        flags.volume_drift_margin && `plus ${flags.volume_drift_margin} of clock drift before a volume of an unreachable agent moves`),
      fact("keepalive", "Event stream keepalive", flags.event_stream_keepalive),
      fact("features", "Features", (config.features || []).join(", ") || null))),
    h("section", h("h2", "All flags"), h("table.grid",
      h("thead", h("tr", h("th", "Flag"), h("th", "Value"))),
      h("tbody", Object.keys(flags).sort().map((name) =>
        h("tr", { "data-flag": name }, h("td.mono", `--${name}`), h("td.mono", flags[name])))))),
  ];
}
