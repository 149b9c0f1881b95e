// Browser test of a volume failover as the UI shows it, against a real master and two nodes that
// share a blockpool. Started by tests/integration/test_ui.py, which passes BERTH_UI_URL,
// BERTH_UI_ARTIFACTS, CHROMIUM, and BERTH_UI_NODES: {"<agent id>": <pid of that node's init>} so
// that this test can kill the node holding the volume (the machine dies, its tasks with it).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

const BASE = process.env.BERTH_UI_URL;
const ARTIFACTS = process.env.BERTH_UI_ARTIFACTS || "ui-artifacts";
const NODES = JSON.parse(process.env.BERTH_UI_NODES || "{}");
assert.ok(BASE, "BERTH_UI_URL is not set (run through tests/integration/test_ui.py)");

let browser;
let page;
const pageErrors = [];

async function api(method, path, body) {
  const response = await fetch(BASE + path, {
    method, headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30000);
  page.on("pageerror", (error) => pageErrors.push(String(error)));
});

after(async () => { await browser?.close(); });

test("a volume's failover shows live: fencing, fenced, a new epoch on the other node, its history", async () => {
  const created = await api("POST", "/v2/apps", {
    id: "/ui-db", cmd: "sleep 300", cpus: 0.1, mem: 32, instances: 1,
    upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW",
      external: { name: "ui-dbdata", provider: "dvdi", size: 1, options: { "dvdi/driver": "rexray" } } }] },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  await page.goto(`${BASE}/#/volumes/ui-dbdata`);
  await page.waitForSelector("#connection[data-mode=live]");
  // Claimed for the task: ATTACHING, then ATTACHED once the agent reports its mount (agents report
  // mounts at registration only for now, docs/volumes.md), so either will do.
  await page.locator(".page-head :is([data-state=ATTACHING], [data-state=ATTACHED])").waitFor({ timeout: 60000 });
  const volume = (await api("GET", "/v2/volumes/ui-dbdata")).body;
  const firstAgent = volume.attachment.agentId;
  assert.equal(volume.attachment.epoch, 1);
  await page.screenshot({ path: join(ARTIFACTS, "21-volume-attached.png"), fullPage: true });

  assert.ok(NODES[firstAgent], `no node pid for agent ${firstAgent}`);
  process.kill(NODES[firstAgent], "SIGKILL");

  // Each step arrives through the event stream while the page stays open: the agent goes
  // unreachable, its lease runs out, the replacement task claims the volume on the other node
  // with a new epoch (volume_failed_over follows once that node reports the mount).
  for (const type of ["volume_fencing", "volume_fenced"]) {
    await page.locator(`tr[data-event=${type}]`).waitFor({ timeout: 60000 });
  }
  assert.equal(await page.locator("tr.alarm[data-event=volume_fenced]").count(), 1);
  await page.locator(".toast", { hasText: "fencing" }).waitFor();
  await page.locator("tr[data-event=volume_attaching]", { hasText: "2" }).waitFor({ timeout: 60000 });
  const moved = (await api("GET", "/v2/volumes/ui-dbdata")).body;
  assert.notEqual(moved.attachment.agentId, firstAgent);
  assert.ok(moved.attachment.epoch > 1);
  const facts = await page.locator("dl.facts").textContent();
  assert.match(facts, new RegExp(`epoch ${moved.attachment.epoch}`));
  // The attachment history shows the old agent's attachment, ended by the fence.
  await page.locator("section", { hasText: "Attachment history" }).locator("[data-state]", { hasText: "fenced" })
    .waitFor();
  await page.screenshot({ path: join(ARTIFACTS, "22-volume-failed-over.png"), fullPage: true });

  // The agents page shows the dead node as unreachable.
  await page.click("a[data-nav=agents]");
  await page.locator(`tr[data-agent="${firstAgent}"] [data-state=UNREACHABLE]`).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, "23-agent-unreachable.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
