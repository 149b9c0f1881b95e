// Applications: every app with its status, instances and health; the deployments in progress
// with their steps; the Deploy dialog.
import { api } from "../api.js";
import { appHref, fmtCpus, fmtMem, h, link, table } from "../dom.js";
import { confirmDialog, toast } from "../dialogs.js";
import { deployDialog } from "../deploy.js";
import { appStatus, deploymentSteps, healthSummary, instances, statusBadge } from "../status.js";

export function renderApps(store, ctx) {
  const apps = [...(store.apps || [])].sort((a, b) => a.id.localeCompare(b.id));
  const filter = (ctx.filter || "").toLowerCase();
  const shown = apps.filter((app) => !filter || app.id.toLowerCase().includes(filter));
  const counts = {};
  for (const app of apps) { const s = appStatus(store, app); counts[s] = (counts[s] || 0) + 1; }

  const search = h("input.search", { type: "search", placeholder: "Filter by id", value: ctx.filter || "",
    "aria-label": "Filter applications" });
  search.addEventListener("input", () => { ctx.filter = search.value; ctx.rerender({ keepFocus: "search" }); });
  search.dataset.focusKey = "search";

  const rows = shown.map((app) => h("tr", { "data-app": app.id },
    h("td", link(appHref(app.id), app.id)),
    h("td", statusBadge(store, app)),
    h("td.num", instances(app)),
    h("td", healthSummary(app)),
    h("td.num", fmtCpus(app.cpus)),
    h("td.num", fmtMem(app.mem)),
    h("td.mono.clip", { title: app.cmd || (app.args || []).join(" ") }, app.cmd || (app.args || []).join(" ") || "–")));

  return [
    h("div.page-head",
      h("h1", "Applications"),
      h("span.summary", Object.entries(counts).map(([s, n]) => h("span", `${n} ${s.toLowerCase()}`))),
      h("span.spacer"),
      search,
      h("button.btn.primary", { type: "button", "data-action": "deploy", onclick: async () => {
        const id = await deployDialog();
        if (id) { toast(`Deploying ${id}`); location.hash = appHref(id); }
      } }, "Deploy")),
    store.errors.apps ? h("p.error-box", `Could not list apps: ${store.errors.apps.message}`) : null,
    store.apps === null ? h("p.muted", "Loading…")
      : table(["ID", "Status", "Running / desired", "Health", "CPUs", "Memory", "Command"], rows,
        apps.length ? "No app matches the filter." : "No applications yet. Deploy one."),
    deploymentsSection(store),
  ];
}

export function deploymentsSection(store, only) {
  let deployments = store.deployments || [];
  if (only) deployments = deployments.filter((d) => (d.affectedApps || []).includes(only));
  if (only && !deployments.length) return null;
  const rows = deployments.map((d) => h("tr", { "data-deployment": d.id },
    h("td.mono", { title: d.id }, d.id.slice(0, 8)),
    h("td", (d.affectedApps || []).map((id) => h("div", link(appHref(id), id)))),
    h("td.num", `${d.currentStep} / ${d.totalSteps}`),
    h("td", deploymentSteps(d)),
    h("td", d.version ? new Date(d.version).toLocaleTimeString() : "–"),
    h("td.actions",
      h("button.btn.small", { type: "button", title: "Revert: a new deployment back to the previous state",
        onclick: () => confirmDialog({ title: "Roll back deployment",
          message: `Revert deployment ${d.id}? A new deployment takes its apps back to where they were.`,
          confirmText: "Roll back", danger: true,
          action: () => api.cancelDeployment(d.id, false).then(() => toast("Rolling back")) }) },
      "Roll back"),
      h("button.btn.small", { type: "button", title: "Stop the deployment where it is",
        onclick: () => confirmDialog({ title: "Stop deployment",
          message: `Stop deployment ${d.id} where it is? Its apps keep their new definition.`,
          confirmText: "Stop", danger: true,
          action: () => api.cancelDeployment(d.id, true).then(() => toast("Deployment stopped")) }) },
      "Stop"))));
  return h("section",
    h("h2", only ? "Deployment in progress" : "Deployments in progress"),
    table(["ID", "Apps", "Step", "Steps", "Started", ""], rows, "None: every app is as declared."));
}
