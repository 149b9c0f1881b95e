// Modal dialogs: confirmations, forms and JSON editors, with the API's refusals shown where
// they belong: a 422's details next to the field whose JSON path they name, the rest above.
import { h } from "./dom.js";
import { locate } from "./jsonpath.js";

// Opens a modal. `body` is a node (inputs inside may carry data-path="/cpus" to receive that
// path's errors). `onSubmit({force})` runs on submit; if it throws, the error is shown and the
// dialog stays open; if it resolves, the dialog closes and the promise returned here resolves
// with its value. Cancel resolves with undefined.
export function openDialog({ title, body, submitText = "OK", danger = false, wide = false,
  forceable = false, onSubmit }) {
  return new Promise((resolve) => {
    const errorBox = h("div.error-box", { role: "alert", hidden: true });
    const force = h("input", { type: "checkbox", name: "force" });
    const forceRow = h("label.force", { hidden: true }, force,
      " Force: override the deployment in progress");
    const submit = h(`button.btn.${danger ? "danger" : "primary"}`, { type: "submit" }, submitText);
    const cancel = h("button.btn", { type: "button", onclick: () => close(undefined) }, "Cancel");
    const form = h("form", { method: "dialog", novalidate: true },
      h("header", h("h2", title)),
      h("div.dialog-body", errorBox, body),
      h("footer", forceRow, h("span.spacer"), cancel, submit));
    const dialog = h(`dialog.modal${wide ? ".wide" : ""}`, form);
    let done = false;
    function close(value) {
      if (done) return;
      done = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(undefined); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      clearErrors(form, errorBox);
      try {
        const value = await onSubmit({ force: force.checked, form });
        close(value === undefined ? true : value);
      } catch (error) {
        showError(form, errorBox, error);
        if (forceable && error.status === 409) forceRow.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = body.querySelector && body.querySelector("input:not([type=checkbox]), textarea");
    (first || submit).focus();
  });
}

export function confirmDialog({ title, message, confirmText = "Confirm", danger = false,
  forceable = false, action }) {
  const body = h("div", typeof message === "string" ? h("p", message) : message);
  return openDialog({ title, body, submitText: confirmText, danger, forceable, onSubmit: action });
}

function clearErrors(form, errorBox) {
  errorBox.hidden = true;
  errorBox.replaceChildren();
  for (const el of form.querySelectorAll(".field-error")) el.remove();
  for (const el of form.querySelectorAll(".invalid")) el.classList.remove("invalid");
}

// Marathon paths name array items as "(0)": "/container/volumes(0)/external/name".
function showError(form, errorBox, error) {
  const unplaced = [];
  for (const detail of error.details || []) {
    const errors = (detail.errors || []).join("; ");
    const target = [...form.querySelectorAll("[data-path]")]
      .find((el) => el.dataset.path === detail.path && !el.closest("[hidden]"));
    if (target) {
      target.classList.add("invalid");
      target.after(h("div.field-error", { "data-error-for": detail.path }, errors));
    } else {
      unplaced.push(detail);
    }
  }
  // In a JSON editor, each remaining detail goes under the editor with its line, and selects
  // the value it names when clicked.
  const editor = [...form.querySelectorAll("textarea.json")].find((el) => !el.closest("[hidden]"));
  if (editor && unplaced.length) {
    editor.classList.add("invalid");
    editor.after(h("ul.field-error.json-errors", unplaced.splice(0).map((d) => {
      const range = locate(editor.value, d.path || "/");
      const line = range ? editor.value.slice(0, range[0]).split("\n").length : null;
      const select = () => {
        if (!range) return;
        editor.focus();
        editor.setSelectionRange(range[0], range[1]);
        const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 16;
        editor.scrollTop = Math.max(0, (line - 3) * lineHeight);
      };
      return h("li", { "data-error-for": d.path },
        h("button.linkish", { type: "button", onclick: select, title: "Show in the editor" },
          h("code", d.path || "/"), line ? ` line ${line}` : ""),
        ": ", (d.errors || []).join("; "));
    })));
  }
  const status = error.status ? `${error.status}: ` : "";
  errorBox.append(h("strong", `${status}${error.message || "Something went wrong"}`));
  if (unplaced.length) {
    errorBox.append(h("ul.details", unplaced.map((d) =>
      h("li", { "data-error-for": d.path }, h("code", d.path || "/"), " ", (d.errors || []).join("; ")))));
  }
  if (error.body && Array.isArray(error.body.deployments) && error.body.deployments.length) {
    errorBox.append(h("div", "Deployment in progress: ",
      error.body.deployments.map((d) => h("code", d.id)), "."));
  }
  errorBox.hidden = false;
}

// A labelled input for forms; `path` is the JSON path whose 422 errors appear below it.
export function field(label, input, path, hint) {
  if (path) input.dataset.path = path;
  return h("label.field", h("span.label", label), input, hint ? h("span.hint", hint) : null);
}

// A short-lived message in the corner: what just happened.
export function toast(message, tone = "ok") {
  let stack = document.getElementById("toasts");
  if (!stack) { stack = h("div.toasts", { id: "toasts" }); document.body.append(stack); }
  const el = h(`div.toast.${tone}`, { role: "status" }, message);
  stack.append(el);
  setTimeout(() => el.remove(), tone === "bad" ? 9000 : 5000);
}
