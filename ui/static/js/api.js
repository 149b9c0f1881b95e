// The master's HTTP API, as the UI uses it. Same origin: the page and the API share the master's
// --http_port, so there is nothing to configure.

// A refused request: the HTTP status, Marathon's message, and for a 422 its `details`, one per
// field: [{path: "/container/volumes(0)/external/name", errors: ["..."]}].
export class ApiError extends Error {
  constructor(status, body) {
    const message = (body && (body.message || body.error)) || `HTTP ${status}`;
    super(message);
    this.status = status;
    this.body = body;
    this.details = (body && Array.isArray(body.details)) ? body.details : [];
  }
}

export async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, { message: `The master did not answer (${error.message})` });
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { message: text }; }
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

const enc = (id) => id.split("/").filter(Boolean).map(encodeURIComponent).join("/");

export const api = {
  apps: () => request("GET", "/v2/apps?embed=apps.tasks&embed=apps.counts&embed=apps.deployments"
    + "&embed=apps.lastTaskFailure").then((r) => r.apps),
  app: (id) => request("GET", `/v2/apps/${enc(id)}`).then((r) => r.app),
  versions: (id) => request("GET", `/v2/apps/${enc(id)}/versions`).then((r) => r.versions),
  version: (id, v) => request("GET", `/v2/apps/${enc(id)}/versions/${encodeURIComponent(v)}`),
  createApp: (definition) => request("POST", "/v2/apps", definition),
  // A whole definition replaces the app's (partialUpdate=false); a partial one ({instances})
  // changes only what it names.
  updateApp: (id, definition, force = false) =>
    request("PUT", `/v2/apps/${enc(id)}?partialUpdate=false${force ? "&force=true" : ""}`, definition),
  patchApp: (id, fields, force = false) =>
    request("PUT", `/v2/apps/${enc(id)}${force ? "?force=true" : ""}`, fields),
  restartApp: (id, force = false) =>
    request("POST", `/v2/apps/${enc(id)}/restart${force ? "?force=true" : ""}`),
  destroyApp: (id) => request("DELETE", `/v2/apps/${enc(id)}`),
  killTask: (appId, taskId) => request("DELETE", `/v2/apps/${enc(appId)}/tasks/${encodeURIComponent(taskId)}`),
  deployments: () => request("GET", "/v2/deployments"),
  cancelDeployment: (id, force) =>
    request("DELETE", `/v2/deployments/${encodeURIComponent(id)}${force ? "?force=true" : ""}`),
  queue: () => request("GET", "/v2/queue").then((r) => r.queue || []),
  // The agents as Mesos lists them. /master/* is served on the API port as well as on --port.
  agents: () => request("GET", "/master/slaves").then((r) => r.slaves || []),
  tasks: () => request("GET", "/master/tasks").then((r) => r.tasks || []),
  volumes: () => request("GET", "/v2/volumes").then((r) => r.volumes || []),
  info: () => request("GET", "/v2/info"),
  // Mesos' shape, with the master's flags and start time (the About page).
  masterState: () => request("GET", "/master/state"),
  // A chunk of a file in a task's sandbox ("<task>/stdout"): the master forwards it to the
  // task's agent. offset -1 answers the file's size as `offset`.
  readFile: (path, offset, length) => request("GET", `/files/read?path=${encodeURIComponent(path)}`
    + `&offset=${offset}${length ? `&length=${length}` : ""}`),
};
