// Browser tests of the web UI against a real master with one agent, driven by playwright-core
// and Debian's chromium (never a browser playwright downloads). Started by
// tests/integration/test_ui.py, which runs the cluster and passes:
//   BERTH_UI_URL        the master's API (and UI) address, http://127.0.0.1:<http_port>
//   BERTH_UI_ARTIFACTS  where screenshots go
//   CHROMIUM            the browser (default /usr/bin/chromium)
// The tests run in order and share one page, as a person would use it: deploy an app (after a
// validation error), watch it run and tail its logs, scale it, suspend it, see the agents, the
// volumes and the About page, lose the event stream and keep updating by polling, destroy the app.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BERTH_UI_URL;
const ARTIFACTS = process.env.BERTH_UI_ARTIFACTS || "ui-artifacts";
const APP = "/ui-web";
const APP_HASH = `#/apps/${encodeURIComponent(APP)}`;
const TASK_CMD = "echo hello-from-task; echo warming-up >&2; i=0; while sleep 1; do i=$((i+1)); echo tick-$i; done";
assert.ok(BASE, "BERTH_UI_URL is not set (run through tests/integration/test_ui.py)");

let browser;
let page;
const pageErrors = [];

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function api(method, path, body) {
  const response = await fetch(BASE + path, {
    method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

// The row of the tasks table for each task of the app, with the state shown.
async function taskStates() {
  return page.locator("tr[data-task] td.state [data-state]").evaluateAll((els) => els.map((e) => e.dataset.state));
}

async function waitTasks(predicate, what, timeout = 30000) {
  const deadline = Date.now() + timeout;
  let states = [];
  while (Date.now() < deadline) {
    states = await taskStates();
    if (predicate(states)) return states;
    await page.waitForTimeout(200);
  }
  assert.fail(`timed out waiting for ${what}; tasks shown: ${JSON.stringify(states)}`);
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(20000);
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  // Refused requests (the 422 above) are logged by the browser itself; anything else is ours.
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      pageErrors.push(message.text());
    }
  });
});

after(async () => {
  if (page && pageErrors.length) await shot("zz-errors").catch(() => {});
  await browser?.close();
});

test("the master serves the UI and the page goes live on the event stream", async () => {
  await page.goto(`${BASE}/`);
  await page.waitForSelector("#connection[data-mode=live]");
  await page.waitForSelector("text=No applications yet");
  // Marks this document: if it is still there at the end, nothing reloaded the page.
  await page.evaluate(() => { window.__sameDocument = true; });
  await shot("01-apps-empty");
});

test("a validation error shows next to the field it names, then the app deploys", async () => {
  await page.click("button[data-action=deploy]");
  const dialog = page.locator("dialog[open]");
  await dialog.locator("input[name=id]").fill(APP);
  // Says something on each stream at once, then a numbered tick each second: the log tail must
  // show the first lines and keep up with the ticks.
  await dialog.locator("input[name=cmd]").fill(TASK_CMD);
  await dialog.locator("input[name=cpus]").fill("0");
  await dialog.locator("button[type=submit]").click();
  const error = dialog.locator('.field-error[data-error-for="/cpus"]');
  await error.waitFor();
  assert.match(await error.textContent(), /0\.001/);
  // The error sits right under the CPUs input, inside its field.
  assert.equal(await error.evaluate((el) => el.previousElementSibling.name), "cpus");
  assert.match(await dialog.locator(".error-box").textContent(), /422/);
  await shot("02-validation-error");

  // Fix it, then add a health check in the JSON editor: the form's values carry over.
  await dialog.locator("input[name=cpus]").fill("0.1");
  await dialog.locator("button[data-tab=json]").click();
  const editor = dialog.locator("textarea.json");
  assert.equal(await dialog.locator("[data-pane=form]").isVisible(), false);
  const definition = JSON.parse(await editor.inputValue());
  assert.equal(definition.id, APP);
  assert.equal(definition.cpus, 0.1);
  definition.mem = 32;
  definition.healthChecks = [{ protocol: "COMMAND", command: { value: "true" },
    gracePeriodSeconds: 5, intervalSeconds: 1, maxConsecutiveFailures: 3 }];
  // In the JSON editor a detail is listed under it with its line, and selects what it names.
  const volumePath = "/container/volumes(0)/external/name";
  await editor.fill(JSON.stringify({ ...definition, container: { type: "MESOS", volumes: [
    { containerPath: "data", mode: "RW", external: { name: "Bad Name!", provider: "dvdi" } }] } }, null, 2));
  await dialog.locator("button[type=submit]").click();
  const detail = dialog.locator(`.json-errors li[data-error-for="${volumePath}"]`);
  await detail.waitFor();
  assert.match(await detail.textContent(), /line \d+/);
  await detail.locator("button").click();
  assert.equal(await editor.evaluate((el) => el.value.slice(el.selectionStart, el.selectionEnd)), '"Bad Name!"');
  await shot("03-json-error");
  await editor.fill(JSON.stringify(definition, null, 2));
  await shot("03-deploy-json");
  await dialog.locator("button[type=submit]").click();
  await page.waitForFunction((hash) => location.hash === hash, APP_HASH);
  assert.equal(await page.locator("dialog[open]").count(), 0);
});

test("the app runs, healthy, and its page shows the task's node, state, health and ports", async () => {
  await waitTasks((s) => s.length === 1 && s[0] === "TASK_RUNNING", "one running task");
  await page.locator("tr[data-task] .badge.ok", { hasText: "healthy" }).waitFor();
  const row = page.locator("tr[data-task]").first();
  assert.match(await row.textContent(), /127\.0\.0\.1/);
  assert.match(await row.textContent(), /3\d{4}/);  // a host port from the agent's range
  await page.locator(".page-head [data-state=RUNNING]").waitFor();
  await page.locator("tr[data-version]").first().waitFor();
  await shot("04-app-running");
});

// The highest tick-N the stdout pane shows (0 before the first).
async function lastTick() {
  const text = await page.locator("pre.log[data-file=stdout]").textContent();
  return Math.max(0, ...[...text.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
}

test("the app page tails the task's stdout and stderr, and keeps up while it is open", async () => {
  await page.locator("pre.log[data-file=stdout]", { hasText: "hello-from-task" }).waitFor();
  await page.locator("pre.log[data-file=stderr]", { hasText: "warming-up" }).waitFor();
  const taskId = await page.locator("tr[data-task]").first().getAttribute("data-task");
  assert.equal(await page.locator(".log-panes").getAttribute("data-logs-of"), taskId);
  // New lines arrive without a reload or any click: the pane follows the file.
  const seen = await lastTick();
  const deadline = Date.now() + 15000;
  while (await lastTick() < seen + 2) {
    assert.ok(Date.now() < deadline, `the log tail stayed at tick-${seen}`);
    await page.waitForTimeout(250);
  }
  await shot("04b-app-logs");
});

test("scaling to 3 shows three running tasks, without reloading", async () => {
  await page.click("button[data-action=scale]");
  const dialog = page.locator("dialog[open]");
  await dialog.locator("input[name=instances]").fill("3");
  await dialog.locator("button[type=submit]").click();
  await waitTasks((s) => s.length === 3 && s.every((x) => x === "TASK_RUNNING"), "three running tasks");
  // Another task's logs, picked from its row.
  const third = page.locator("tr[data-task]").nth(2);
  const thirdId = await third.getAttribute("data-task");
  await third.locator("button[data-action=logs]").click();
  await page.locator(`.log-panes[data-logs-of="${thirdId}"] pre.log[data-file=stdout]`,
    { hasText: "hello-from-task" }).waitFor();
  await page.evaluate(() => { location.hash = "#/apps"; });
  const row = page.locator(`tr[data-app="${APP}"]`);
  await row.locator(".instances", { hasText: "3 / 3" }).waitFor();
  // The deployment ends once the new tasks are healthy; until then a change would be refused.
  await row.locator("[data-state=RUNNING]").waitFor({ timeout: 30000 });
  await shot("05-apps-scaled");
  assert.equal(await page.evaluate(() => window.__sameDocument), true);
});

test("the agents page shows the node's usage, attributes and tasks", async () => {
  await page.click("a[data-nav=agents]");
  const row = page.locator("tr[data-agent]");
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  await row.locator("[data-state=ACTIVE]").waitFor();
  assert.match(await row.textContent(), /rack:r1/);
  assert.match(await row.locator("td").last().textContent(), /^3$/);
  assert.match(await row.textContent(), /0\.3 \/ 2/);  // 3 x 0.1 CPUs of 2
  await shot("06-agents");
  await row.locator("a").first().click();
  await page.locator("tr[data-task]").nth(2).waitFor();
  await shot("07-agent");
});

test("the volumes page lists a volume and shows its events as they happen", async () => {
  await page.click("a[data-nav=volumes]");
  await page.waitForSelector("text=No volumes");
  const created = await api("POST", "/v2/volumes", { name: "ui-data", size: 64 });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.locator('tr[data-volume="ui-data"] [data-state=AVAILABLE]').waitFor();
  await page.locator("tr[data-event=volume_created]").waitFor();
  await shot("08-volumes");
  await page.click('tr[data-volume="ui-data"] a');
  await page.waitForSelector("text=Attachment history");
  await shot("09-volume");
});

test("the About page shows the version, the leader and the master's settings", async () => {
  // The app page was left long ago: its log tail must have stopped polling.
  let reads = 0;
  const countReads = (request) => { if (request.url().includes("/files/read")) reads += 1; };
  page.on("request", countReads);
  await page.click("a[data-nav=about]");
  await page.locator("[data-fact=version]", { hasText: "0.1.0" }).waitFor();
  const info = (await api("GET", "/v2/info")).body;
  assert.ok((await page.locator("[data-fact=leader]").textContent()).includes(info.leader));
  assert.ok((await page.locator("[data-fact=framework]").textContent()).includes(info.frameworkId));
  assert.match(await page.locator("[data-fact=api]").textContent(), /1\.10\.0 \(berth-0\.1\.0\)/);
  assert.match(await page.locator("[data-fact=uptime]").textContent(), /^\d+[dhms]/);
  // The test cluster's master runs with --heartbeat_interval=200ms and its state in SQLite.
  assert.match(await page.locator("[data-fact=heartbeats]").textContent(), /every 200ms/);
  assert.match(await page.locator("[data-fact=state]").textContent(), /SQLite/);
  assert.equal(await page.locator("tr[data-flag=max_missed_heartbeats] td").last().textContent(), "3");
  await shot("09b-about");
  await page.waitForTimeout(2500);
  page.off("request", countReads);
  assert.equal(reads, 0, "the log tail kept polling after its page was left");
});

test("suspending scales to 0", async () => {
  await page.goto(`${BASE}/${APP_HASH}`);
  await page.click("button[data-action=suspend]");
  await page.locator("dialog[open] button[type=submit]").click();
  await page.locator(".page-head [data-state=SUSPENDED]").waitFor({ timeout: 30000 });
  assert.deepEqual(await taskStates(), []);
  await shot("10-suspended");
});

test("without the event stream the page polls, and goes live again when it is back", async () => {
  // A second page whose event stream is refused: it must still follow the cluster.
  const other = await browser.newPage();
  await other.route("**/v2/events**", (route) => route.abort());
  await other.goto(`${BASE}/${APP_HASH}`);
  await other.waitForSelector("#connection[data-mode=polling]");
  const scaled = await api("PUT", `/v2/apps${APP}`, { instances: 1 });
  assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
  await other.locator("tr[data-task] td.state [data-state=TASK_RUNNING]").waitFor({ timeout: 30000 });
  await other.screenshot({ path: join(ARTIFACTS, "11-polling.png"), fullPage: true });
  await other.unroute("**/v2/events**");
  await other.waitForSelector("#connection[data-mode=live]", { timeout: 30000 });
  await other.close();
});

test("destroying the app removes it from the list", async () => {
  await page.goto(`${BASE}/${APP_HASH}`);
  await page.locator("tr[data-task]").first().waitFor({ timeout: 30000 });
  await page.click("button[data-action=destroy]");
  const dialog = page.locator("dialog[open]");
  assert.match(await dialog.textContent(), /cannot be undone/);
  await shot("12-destroy-confirm");
  await dialog.locator("button[type=submit]").click();
  await page.waitForFunction(() => location.hash === "#/apps");
  await page.locator(`tr[data-app="${APP}"]`).waitFor({ state: "detached", timeout: 30000 });
  await page.waitForSelector("text=No applications yet");
  await shot("13-destroyed");
  const gone = await api("GET", `/v2/apps${APP}`);
  assert.equal(gone.status, 404);
});

test("the page logged no errors", () => {
  assert.deepEqual(pageErrors, []);
});
