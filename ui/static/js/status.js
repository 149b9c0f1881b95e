// What the pages say about an app: its status, instance counts and health, from the app, the
// deployments and the launch queue.
import { badge, h } from "./dom.js";

export function queueEntry(store, appId) {
  return (store.queue || []).find((entry) => (entry.app && entry.app.id) === appId);
}

export function appDeployments(store, app) {
  const ids = new Set((app.deployments || []).map((d) => d.id));
  return (store.deployments || []).filter((d) => ids.has(d.id) || (d.affectedApps || []).includes(app.id));
}

// DEPLOYING, SUSPENDED, DELAYED, WAITING or RUNNING, as Marathon's UI names them.
export function appStatus(store, app) {
  if (appDeployments(store, app).length) return "DEPLOYING";
  const running = app.tasksRunning || 0;
  if (app.instances === 0 && running === 0) return "SUSPENDED";
  const queued = queueEntry(store, app.id);
  if (queued && queued.delay && queued.delay.timeLeftSeconds > 0) return "DELAYED";
  if (running < app.instances) return "WAITING";
  return "RUNNING";
}

export function statusBadge(store, app) { return badge(appStatus(store, app)); }

export function healthSummary(app) {
  if (!(app.healthChecks || []).length) return h("span.muted", "no checks");
  const healthy = app.tasksHealthy || 0;
  const unhealthy = app.tasksUnhealthy || 0;
  const unknown = Math.max(0, (app.tasksRunning || 0) - healthy - unhealthy);
  return h("span.health",
    healthy ? badge("HEALTHY", `${healthy} healthy`) : null,
    unhealthy ? badge("UNHEALTHY", `${unhealthy} unhealthy`) : null,
    unknown ? badge("UNKNOWN", `${unknown} pending`) : null,
    !healthy && !unhealthy && !unknown ? h("span.muted", "–") : null);
}

// A task's health from its check results: HEALTHY, UNHEALTHY or "–" without checks.
export function taskHealth(task) {
  const results = task.healthCheckResults || [];
  if (!results.length) return h("span.muted", "–");
  if (results.every((r) => r.alive)) return badge("HEALTHY", "healthy");
  // Not alive without a failure yet: the first check has not answered (grace period).
  if (results.some((r) => r.consecutiveFailures > 0 || r.lastFailure)) return badge("UNHEALTHY", "unhealthy");
  return badge("UNKNOWN", "pending");
}

export function instances(app) {
  const running = app.tasksRunning || 0;
  return h("span.instances", { title: `${running} running of ${app.instances} desired`
    + (app.tasksStaged ? `, ${app.tasksStaged} staging` : "") },
  h("strong", String(running)), ` / ${app.instances}`,
  app.tasksStaged ? h("span.muted", ` (+${app.tasksStaged} staging)`) : null);
}

// One deployment's steps as a row of chips: done, current, to come.
export function deploymentSteps(deployment) {
  const current = deployment.currentStep || 0;
  return h("ol.steps", (deployment.steps || []).map((step, i) => {
    const state = i + 1 < current ? "done" : i + 1 === current ? "current" : "todo";
    return h(`li.step.${state}`, { title: `step ${i + 1} of ${deployment.totalSteps}` },
      (step.actions || []).map((a) => h("span.action", `${a.action} ${a.app}`)));
  }));
}
