// The UI's view of the cluster, kept current without page reloads: an event stream
// (GET /v2/events, Server-Sent Events) says when something changed, and the affected lists are
// fetched again. If the stream drops, the lists are polled until it reconnects (with backoff).
import { api } from "./api.js";

// A stream that names event types gets only those, so Marathon's own types are listed with
// Berth's volume types (docs/events.md).
const MARATHON_EVENTS = [
  "api_post_event", "status_update_event", "instance_changed_event", "app_terminated_event",
  "instance_health_changed_event", "health_status_changed_event", "failed_health_check_event",
  "unhealthy_instance_kill_event", "unhealthy_task_kill_event", "group_change_success",
  "group_change_failed", "deployment_info", "deployment_success", "deployment_failed",
  "deployment_step_success", "deployment_step_failure", "add_health_check_event",
  "remove_health_check_event", "unknown_instance_terminated_event",
];
export const VOLUME_EVENTS = [
  "volume_created", "volume_attaching", "volume_attached", "volume_detaching", "volume_detached",
  "volume_fencing", "volume_fenced", "volume_unfenced", "volume_failed_over", "volume_revoked",
  "volume_deleting", "volume_deleted", "volume_error",
];

const POLL_INTERVAL_MS = 2000;      // while the stream is down
const BACKGROUND_REFRESH_MS = 15000; // while it is up: agents' usage has no events of its own
const MAX_RETRY_MS = 15000;

export const store = {
  apps: null, deployments: null, agents: null, tasks: null, volumes: null, queue: null,
  errors: {},          // resource -> ApiError of its last fetch
  events: [],          // recent events, newest first: {type, data, at}
  mode: "connecting",  // "live" (event stream), "polling", "offline" (the master does not answer)
  lastRefresh: null,
};

const listeners = new Set();
export function subscribe(fn) { listeners.add(fn); }
const eventListeners = new Set();
// fn(type, data) for each event as it arrives (before the refresh it causes).
export function onEvent(fn) { eventListeners.add(fn); }
function notify() { for (const fn of listeners) fn(store); }

const SOURCES = {
  apps: api.apps, deployments: api.deployments, agents: api.agents, tasks: api.tasks,
  volumes: api.volumes, queue: api.queue,
};

let inFlight = null;
let again = false;
// Fetches every list; calls made while one runs coalesce into one more run after it.
export function refresh() {
  if (inFlight) { again = true; return inFlight; }
  inFlight = (async () => {
    await Promise.all(Object.entries(SOURCES).map(async ([key, fetchIt]) => {
      try {
        store[key] = await fetchIt();
        delete store.errors[key];
      } catch (error) {
        store.errors[key] = error;
      }
    }));
    store.lastRefresh = new Date();
    const down = Object.values(store.errors).some((e) => e.status === 0);
    if (down) setMode("offline");
    else if (store.mode === "offline") setMode(source ? "live" : "polling");
    notify();
  })().finally(() => {
    inFlight = null;
    if (again) { again = false; refresh(); }
  });
  return inFlight;
}

let soonTimer = null;
// A refresh shortly: a burst of events (a deployment of ten tasks) costs one round of fetches.
export function refreshSoon(delay = 120) {
  if (soonTimer) return;
  soonTimer = setTimeout(() => { soonTimer = null; refresh(); }, delay);
}

let source = null;
let retryMs = 1000;
let pollTimer = null;
const modeListeners = new Set();
export function onMode(fn) { modeListeners.add(fn); }
function setMode(mode) {
  if (store.mode === mode) return;
  store.mode = mode;
  for (const fn of modeListeners) fn(mode);
}

function startPolling() {
  if (pollTimer) return;
  pollTimer = setInterval(refresh, POLL_INTERVAL_MS);
}
function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

function connect() {
  const query = [...MARATHON_EVENTS, ...VOLUME_EVENTS].map((t) => `event_type=${t}`).join("&");
  const stream = new EventSource(`/v2/events?${query}`);
  source = stream;
  stream.onopen = () => {
    retryMs = 1000;
    stopPolling();
    setMode("live");
    refresh();  // whatever happened while the stream was down
  };
  const handle = (message) => {
    let data = null;
    try { data = JSON.parse(message.data); } catch { return; }
    const event = { type: message.type, data, at: new Date() };
    store.events.unshift(event);
    store.events.length = Math.min(store.events.length, 200);
    for (const fn of eventListeners) fn(event.type, data);
    refreshSoon();
  };
  for (const type of [...MARATHON_EVENTS, ...VOLUME_EVENTS]) stream.addEventListener(type, handle);
  stream.onerror = () => {
    // EventSource retries by itself only in some cases; take it over, with a backoff, and poll
    // meanwhile so that the page stays current.
    stream.close();
    if (source === stream) source = null;
    if (store.mode !== "offline") setMode("polling");
    startPolling();
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };
}

export function start() {
  refresh();
  if (typeof EventSource === "function") connect();
  else { setMode("polling"); startPolling(); }
  setInterval(() => { if (!pollTimer) refresh(); }, BACKGROUND_REFRESH_MS);
}
