import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile, mkdir, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { RunStore } from "../../src/campaign/store.js";
import { buildReportModel } from "../../src/report/model.js";
import { getReporter } from "../../src/report/index.js";
import { writeFixtureRun, type FixtureRun } from "../support/report-fixtures.js";

/**
 * The HTML report in a real headless Chromium (Debian's `chromium`): the matrix reads right,
 * the colours are the verdicts', nothing is fetched, the screenshot evidence is embedded.
 * The run is the reporting-pipeline fixture (invented outcomes), not a campaign result.
 */
const CHROMIUM = "/usr/bin/chromium";
const EVIDENCE = fileURLToPath(new URL("../../../.tiosa-work/evidence/report-html-chromium.png", import.meta.url));

describe("HTML report in headless Chromium", () => {
  let f: FixtureRun;
  let browser: Browser;
  let file: string;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (deps/apt-packages.txt; scripts/setup.sh does it)`);
    f = writeFixtureRun();
    const s = RunStore.open(f.runDir, { readonly: true });
    try { file = join(f.outputDir, "report.html"); await writeFile(file, getReporter("html")!.render(buildReportModel(s))); } finally { s.close(); }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
  });
  after(async () => {
    await browser?.close();
    f?.cleanup();
  });

  it("shows the matrix cells with their verdicts' text and colours, fetches nothing, embeds the screenshot", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      const blocked: string[] = [];
      await context.route((url) => url.protocol !== "file:" && url.protocol !== "data:", (route) => { blocked.push(route.request().url()); return route.abort(); });
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

      const cells = await page.$$eval("td.cell", (tds) => tds.map((td) => ({
        id: (td as HTMLElement).dataset.cell!, text: (td as HTMLElement).innerText, bg: getComputedStyle(td).backgroundColor, fg: getComputedStyle(td).color,
      })));
      assert.equal(cells.length, 12);
      const byId = new Map(cells.map((c) => [c.id, c]));
      const warn = byId.get("debian-12/kvm->vmware")!;
      assert.match(warn.text, /^WARNING\n/);
      assert.match(warn.text, /ova, qemu-img ★/);
      assert.equal(warn.bg, "rgb(255, 239, 184)");
      const ok = byId.get("debian-12/vmware->kvm")!;
      assert.match(ok.text, /^SUCCESS/);
      assert.equal(ok.bg, "rgb(213, 239, 214)");
      const noboot = byId.get("debian-12-hostonly/kvm->hyperv")!;
      assert.match(noboot.text, /^FAILURE\n[\s\S]*OS related/);
      assert.equal(noboot.bg, "rgb(249, 208, 204)");
      assert.match(byId.get("debian-12/kvm->hyperv")!.text, /~ unstable/);
      assert.match(byId.get("debian-12/hyperv->kvm")!.text, /^NO ROUTE[\s\S]*tool support/);

      assert.match(await page.innerText("#summary"), /12 paths: 3 successful, 2 with warnings, 7 failures; failures by cause: 3 tool support, 3 OS related, 1 hypervisor related/);
      const img = await page.$eval("img.screenshot", (i) => ({ w: (i as HTMLImageElement).naturalWidth, complete: (i as HTMLImageElement).complete }));
      assert.equal(img.complete, true);
      assert.equal(img.w, 64, "the embedded PNG decodes");
      assert.match(await page.innerText("pre.console"), /ALERT!\s+LABEL=root does not exist/);
      // The matrix links to the cell's details without any script.
      await page.click('td.cell[data-cell="debian-12-hostonly/kvm->hyperv"] a');
      assert.match(page.url(), /#cell-debian-12-hostonly-kvm-to-hyperv$/);

      assert.deepEqual(blocked, [], "the report asked for nothing outside itself");
      assert.ok(requests.every((u) => u.startsWith("file:") || u.startsWith("data:")), `unexpected requests: ${requests.join(", ")}`);

      await page.goto(pathToFileURL(file).href);
      await mkdir(join(EVIDENCE, ".."), { recursive: true });
      await page.screenshot({ path: EVIDENCE, fullPage: false });
      assert.ok((await stat(EVIDENCE)).size > 10_000);
    } finally {
      await context.close();
    }
  });
});
