// Deploying and updating apps: a simple form (id, cmd, cpus, mem, instances) and a JSON editor
// for the whole definition, in one dialog; and the JSON editor alone for updates.
import { api, ApiError } from "./api.js";
import { h } from "./dom.js";
import { field, openDialog } from "./dialogs.js";

const EXAMPLE = {
  id: "/hello",
  cmd: "python3 -m http.server $PORT0",
  cpus: 0.1,
  mem: 64,
  instances: 1,
};

// The fields of an app definition that the API computes: left out of what the user edits.
const READ_ONLY = ["version", "versionInfo", "tasks", "tasksRunning", "tasksStaged", "tasksHealthy",
  "tasksUnhealthy", "deployments", "lastTaskFailure", "taskStats", "readinessCheckResults"];

export function editableDefinition(app) {
  const copy = structuredClone(app);
  for (const key of READ_ONLY) delete copy[key];
  return copy;
}

// JSON.parse with the error as an ApiError-like value that names the line.
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(error.message);
    let where = "";
    if (at) where = ` (line ${text.slice(0, +at[1]).split("\n").length})`;
    throw new ApiError(0, { message: `Not valid JSON${where}: ${error.message}` });
  }
}

function jsonEditor(value) {
  return h("textarea.json", { spellcheck: "false", rows: 18, "aria-label": "App definition (JSON)",
    "data-path": "" }, JSON.stringify(value, null, 2));
}

// Returns the created app's id once the API accepted it, or undefined if cancelled.
export function deployDialog() {
  const inputs = {
    id: h("input", { name: "id", required: true, placeholder: "/my-app", autocomplete: "off" }),
    cmd: h("input", { name: "cmd", placeholder: "python3 -m http.server $PORT0", autocomplete: "off" }),
    cpus: h("input", { name: "cpus", type: "number", step: "0.01", min: "0", value: "0.1" }),
    mem: h("input", { name: "mem", type: "number", step: "1", min: "0", value: "64" }),
    instances: h("input", { name: "instances", type: "number", step: "1", min: "0", value: "1" }),
  };
  const formPane = h("div.pane.form-grid", { "data-pane": "form" },
    field("ID", inputs.id, "/id", "a path: lowercase letters, digits, '-', '.'"),
    field("Command", inputs.cmd, "/cmd", "run with /bin/sh -c; $PORT0 is the first host port"),
    field("CPUs", inputs.cpus, "/cpus"),
    field("Memory (MiB)", inputs.mem, "/mem"),
    field("Instances", inputs.instances, "/instances"));
  const editor = jsonEditor(EXAMPLE);
  const jsonPane = h("div.pane", { "data-pane": "json", hidden: true }, editor,
    h("p.hint", "Any Marathon app definition: health checks, constraints, volumes, env, …"));

  let mode = "form";
  const fromForm = (base = {}) => {
    const number = (input) => (input.value === "" ? undefined : Number(input.value));
    const definition = { ...base, id: inputs.id.value.trim(), cmd: inputs.cmd.value,
      cpus: number(inputs.cpus), mem: number(inputs.mem), instances: number(inputs.instances) };
    for (const key of Object.keys(definition)) if (definition[key] === undefined) delete definition[key];
    if (definition.cmd === "") delete definition.cmd;
    return definition;
  };
  const toForm = (definition) => {
    for (const key of Object.keys(inputs)) inputs[key].value = definition[key] ?? "";
  };
  const tabs = h("div.tabs", { role: "tablist" });
  const tab = (name, label) => h("button.tab", { type: "button", role: "tab", "data-tab": name,
    "aria-selected": String(name === mode), onclick: () => switchTo(name) }, label);
  tabs.append(tab("form", "Form"), tab("json", "JSON"));
  function switchTo(next) {
    if (next === mode) return;
    if (next === "json") {
      let base = {};
      try { base = JSON.parse(editor.value); } catch { /* replaced by the form's values */ }
      editor.value = JSON.stringify(fromForm(base), null, 2);
    } else {
      try { toForm(JSON.parse(editor.value)); } catch { /* keep the form as it was */ }
    }
    mode = next;
    formPane.hidden = mode !== "form";
    jsonPane.hidden = mode !== "json";
    for (const button of tabs.children) button.setAttribute("aria-selected", String(button.dataset.tab === mode));
  }

  return openDialog({
    title: "Deploy an application",
    body: h("div", tabs, formPane, jsonPane),
    submitText: "Deploy",
    wide: true,
    onSubmit: async () => {
      const definition = mode === "form" ? fromForm() : parseJson(editor.value);
      const created = await api.createApp(definition);
      return created.id;
    },
  });
}

export function updateDialog(app) {
  const editor = jsonEditor(editableDefinition(app));
  return openDialog({
    title: `Update ${app.id}`,
    body: h("div", h("p.hint", "This definition replaces the current one: a field left out takes its default. "
      + "A change of command, resources or ports replaces the tasks under the upgrade strategy."), editor),
    submitText: "Update",
    wide: true,
    forceable: true,
    onSubmit: ({ force }) => api.updateApp(app.id, parseJson(editor.value), force),
  });
}
