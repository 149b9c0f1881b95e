// One application: its definition at a glance, actions (scale, suspend, restart, update,
// destroy), its tasks with the log tail of one of them, its volumes and its versions.
import { api } from "../api.js";
import { ago, badge, fmtCpus, fmtMem, fmtTime, h, link, table } from "../dom.js";
import { confirmDialog, field, openDialog, toast } from "../dialogs.js";
import { editableDefinition, updateDialog } from "../deploy.js";
import { LogTail } from "../logtail.js";
import { deploymentsSection } from "./apps.js";
import { healthSummary, instances, queueEntry, statusBadge, taskHealth } from "../status.js";

export function renderApp(store, ctx, id) {
  const app = (store.apps || []).find((a) => a.id === id);
  if (!app) {
    if (store.apps === null) return h("p.muted", "Loading…");
    return [h("div.page-head", h("h1", id)),
      h("p.empty", "No such application (it may have been destroyed). ", link("#/apps", "All applications"))];
  }
  loadVersions(ctx, app);
  const queued = queueEntry(store, app.id);
  const waiting = queued && queued.processedOffersSummary && queued.processedOffersSummary.message;
  return [
    h("nav.crumbs", link("#/apps", "Applications"), " / ", app.id),
    h("div.page-head",
      h("h1", app.id), statusBadge(store, app),
      h("span.spacer"),
      actions(app)),
    waiting ? h("p.notice", { "data-queue": app.id }, h("strong", "Waiting: "), waiting) : null,
    app.lastTaskFailure ? h("p.notice.bad", h("strong", "Last failure: "),
      `${app.lastTaskFailure.state.replace("TASK_", "")} on ${app.lastTaskFailure.host} `
      + `${ago(app.lastTaskFailure.timestamp)}: ${app.lastTaskFailure.message || "no message"}`) : null,
    h("dl.facts",
      fact("Instances", instances(app)),
      fact("Health", healthSummary(app)),
      fact("CPUs", fmtCpus(app.cpus)),
      fact("Memory", fmtMem(app.mem)),
      fact("Disk", fmtMem(app.disk || 0)),
      fact("Version", h("span", { title: app.version }, fmtTime(app.version))),
      fact("Command", h("code.clip", app.cmd || (app.args || []).join(" ") || "–")),
      (app.constraints || []).length ? fact("Constraints",
        app.constraints.map((c) => h("code.chip", c.join(" ")))) : null,
      Object.keys(app.labels || {}).length ? fact("Labels",
        Object.entries(app.labels).map(([k, v]) => h("span.chip", `${k}=${v}`))) : null),
    deploymentsSection(store, app.id),
    h("section", h("h2", "Tasks"), tasksTable(store, app, ctx)),
    logsSection(ctx, app),
    volumesSection(store, app),
    versionsSection(ctx, app),
  ];
}

function fact(label, value) { return [h("dt", label), h("dd", value)]; }

function actions(app) {
  const button = (label, action, onclick, danger) =>
    h(`button.btn${danger ? ".danger" : ""}`, { type: "button", "data-action": action, onclick }, label);
  return h("div.toolbar",
    button("Scale", "scale", () => scaleDialog(app)),
    button("Suspend", "suspend", () => confirmDialog({
      title: `Suspend ${app.id}`, message: "Scale to 0 instances? Every task is killed; the definition stays.",
      confirmText: "Suspend", forceable: true,
      action: ({ force }) => api.patchApp(app.id, { instances: 0 }, force).then(() => toast(`Suspending ${app.id}`)),
    }), false),
    button("Restart", "restart", () => confirmDialog({
      title: `Restart ${app.id}`, message: "Replace every task with a new one, under the upgrade strategy?",
      confirmText: "Restart", forceable: true,
      action: ({ force }) => api.restartApp(app.id, force).then(() => toast(`Restarting ${app.id}`)),
    })),
    button("Update", "update", async () => {
      if (await updateDialog(app)) toast(`Updating ${app.id}`);
    }),
    button("Destroy", "destroy", () => confirmDialog({
      title: `Destroy ${app.id}`,
      message: h("p", "Kill every task of ", h("strong", app.id),
        " and delete the app with its versions? Its local persistent volumes are deleted too. This cannot be undone."),
      confirmText: "Destroy", danger: true,
      action: () => api.destroyApp(app.id).then(() => { toast(`Destroying ${app.id}`); location.hash = "#/apps"; }),
    }), true));
}

function scaleDialog(app) {
  const input = h("input", { type: "number", min: "0", step: "1", name: "instances", value: String(app.instances) });
  return openDialog({
    title: `Scale ${app.id}`,
    body: h("div.form-grid", field("Instances", input, "/instances",
      `now ${app.tasksRunning || 0} running of ${app.instances}`)),
    submitText: "Scale",
    forceable: true,
    onSubmit: ({ force }) => api.patchApp(app.id, { instances: input.value === "" ? null : Number(input.value) }, force)
      .then(() => toast(`Scaling ${app.id} to ${input.value}`)),
  });
}

function sortedTasks(app) {
  return [...(app.tasks || [])].sort((a, b) => a.id.localeCompare(b.id));
}

// The task whose logs are shown: the one picked, while the app has it; else the first.
function logTask(ctx, app) {
  const tasks = sortedTasks(app);
  const picked = tasks.find((t) => t.id === ctx.logTask);
  return (picked || tasks[0] || {}).id || null;
}

function tasksTable(store, app, ctx) {
  const agents = new Map((store.agents || []).map((a) => [a.id, a]));
  const shown = logTask(ctx, app);
  const rows = sortedTasks(app).map((task) => {
    const agent = agents.get(task.slaveId);
    return h(`tr${task.id === shown ? ".selected" : ""}`, { "data-task": task.id },
      h("td.mono", { title: task.id }, shortTask(task.id)),
      h("td.state", badge(task.state)),
      h("td", taskHealth(task)),
      h("td", agent ? link(`#/agents/${encodeURIComponent(agent.id)}`, task.host) : task.host || "–"),
      h("td.mono", (task.ports || []).join(", ") || "–"),
      h("td", { title: task.startedAt || task.stagedAt }, ago(task.startedAt || task.stagedAt)),
      h("td.mono", { title: task.version }, currentConfig(app, task) ? "current" : fmtTime(task.version)),
      h("td.actions",
        h("button.btn.small", { type: "button", "data-action": "logs", disabled: task.id === shown,
          title: "Show this task's stdout and stderr below",
          onclick: () => { ctx.logTask = task.id; ctx.rerender(); } }, "Logs"),
        h("button.btn.small", { type: "button", onclick: () => confirmDialog({
          title: "Kill task", message: `Kill ${task.id}? The app starts a replacement.`,
          confirmText: "Kill", danger: true,
          action: () => api.killTask(app.id, task.id).then(() => toast("Task killed")),
        }) }, "Kill")));
  });
  return table(["Task", "State", "Health", "Node", "Ports", "Started", "Version", ""], rows,
    app.instances ? "No task yet." : "Suspended: no task.");
}

// The tail of one task's stdout and stderr, followed while the page is open (logtail.js).
function logsSection(ctx, app) {
  const taskId = logTask(ctx, app);
  if (ctx.logs && ctx.logs.taskId !== taskId) { ctx.logs.stop(); ctx.logs = null; }
  if (!taskId) return null;
  if (!ctx.logs) ctx.logs = new LogTail(taskId);
  const logs = ctx.logs;
  queueMicrotask(() => logs.restoreScroll());  // once this render is on the page
  return h("section.logs", h("h2", "Logs ", h("span.muted.small.mono", { title: taskId }, shortTask(taskId))),
    logs.el);
}

// A scale gives the app a new version but leaves its tasks' configuration as it was.
function currentConfig(app, task) {
  const config = app.versionInfo && app.versionInfo.lastConfigChangeAt;
  return task.version === app.version || task.version === config;
}

function shortTask(id) {
  const dot = id.lastIndexOf(".");
  return dot > 0 ? `${id.slice(0, dot)}.${id.slice(dot + 1, dot + 9)}` : id;
}

// The app's volumes: the external ones its container names, and every volume the master holds
// for it (persistent local volumes are named per instance).
function volumesSection(store, app) {
  const declared = (app.container && app.container.volumes) || [];
  const byName = new Map((store.volumes || []).map((v) => [v.name, v]));
  const rows = [];
  const seen = new Set();
  for (const decl of declared) {
    if (decl.external && decl.external.name) {
      seen.add(decl.external.name);
      rows.push(volumeRow(store, decl.external.name, byName.get(decl.external.name), decl));
    }
  }
  for (const volume of store.volumes || []) {
    if (volume.appId === app.id && !seen.has(volume.name)) {
      const decl = declared.find((d) => volume.name.includes(`.${d.containerPath}.`));
      rows.push(volumeRow(store, volume.name, volume, decl));
    }
  }
  if (!rows.length && !declared.length) return null;
  return h("section", h("h2", "Volumes"),
    table(["Volume", "Container path", "State", "Driver", "Size", "Attached to", "Epoch"], rows,
      "Declared volumes are created when a task first needs them."));
}

function volumeRow(store, name, volume, decl) {
  const agent = volume && volume.attachment
    && (store.agents || []).find((a) => a.id === volume.attachment.agentId);
  return h("tr", { "data-volume": name },
    h("td", link(`#/volumes/${encodeURIComponent(name)}`, name)),
    h("td.mono", decl ? `${decl.containerPath} (${decl.mode || "RW"})` : "–"),
    h("td", volume ? badge(volume.state) : h("span.muted", "not created yet")),
    h("td", volume ? volume.driver : (decl && decl.external && decl.external.options
      && decl.external.options["dvdi/driver"]) || "–"),
    h("td.num", volume ? fmtMem(volume.size) : "–"),
    h("td", volume && volume.attachment ? (agent ? agent.hostname : volume.attachment.agentId) : "–"),
    h("td.num", volume && volume.attachment ? String(volume.attachment.epoch) : "–"));
}

// Versions are fetched once per app version seen, not with every refresh.
function loadVersions(ctx, app) {
  if (ctx.versionsOf === app.version) return;
  ctx.versionsOf = app.version;
  api.versions(app.id).then((versions) => { ctx.versions = versions; ctx.rerender(); })
    .catch((error) => { ctx.versions = null; ctx.versionsError = error; ctx.rerender(); });
}

function versionsSection(ctx, app) {
  const versions = ctx.versions || [];
  const rows = versions.map((version) => h("tr", { "data-version": version },
    h("td.mono", version),
    h("td", version === app.version ? badge("RUNNING", "current") : ago(version)),
    h("td.actions",
      h("button.btn.small", { type: "button", onclick: () => showVersion(app, version) }, "View"),
      version === app.version ? null : h("button.btn.small", { type: "button", onclick: () => confirmDialog({
        title: "Roll back", message: `Deploy ${app.id} as it was at ${version}?`, confirmText: "Roll back",
        forceable: true,
        action: ({ force }) => api.patchApp(app.id, { version }, force).then(() => toast("Rolling back")),
      }) }, "Roll back"))));
  return h("section", h("h2", "Versions"),
    ctx.versionsError ? h("p.error-box", ctx.versionsError.message) : null,
    table(["Version", "", ""], rows, "Loading…"));
}

async function showVersion(app, version) {
  let definition;
  try { definition = await api.version(app.id, version); } catch (error) { toast(error.message, "bad"); return; }
  openDialog({ title: `${app.id} at ${version}`, wide: true, submitText: "Close",
    body: h("pre.json", JSON.stringify(editableDefinition(definition), null, 2)), onSubmit: async () => true });
}
