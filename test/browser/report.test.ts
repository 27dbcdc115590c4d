import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { renderReport } from "../../src/report/render.ts";
import { sampleReportData } from "../unit/report/sample-report.ts";

/** CHROMIUM_PATH only exists to try the no-browser path (skip locally, fail under CI). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join(process.cwd(), "test-results");

/** Start Debian's chromium; under CI a failure to start fails the suite instead of skipping it. */
async function launchChromium(): Promise<{ browser?: Browser; error?: unknown }> {
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
    return { browser };
  } catch (error) {
    return { error };
  }
}

const launched = await launchChromium();
const canRun = launched.browser !== undefined || Boolean(process.env.CI);
if (!canRun)
  console.warn(`skipping the report browser tests: cannot start ${CHROMIUM} (${String(launched.error)}); install chromium to run them`);

const data = sampleReportData(4000, 2500);
const workDir = mkdtempSync(join(tmpdir(), "pipeline-report-"));
const reportPath = join(workDir, "index.html");
writeFileSync(reportPath, renderReport(data));

afterAll(async () => {
  await launched.browser?.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface OpenedReport {
  page: Page;
  /** console errors, page errors and any request that is not the report file itself */
  problems: string[];
}

async function openReport(width: number, height: number, path = reportPath): Promise<OpenedReport> {
  if (!launched.browser) throw new Error(`cannot start ${CHROMIUM}: ${String(launched.error)}`);
  const page = await launched.browser.newPage({ viewport: { width, height } });
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => {
    if (request.url() !== pathToFileURL(path).href) problems.push(`request: ${request.url()}`);
  });
  await page.goto(pathToFileURL(path).href, { waitUntil: "load" });
  return { page, problems };
}

interface CanvasReading {
  width: number;
  height: number;
  /** pixels with any paint on them */
  painted: number;
  /** pixels that differ from the previous reading of the same page */
  changed: number;
}

/** Read the scatter's pixels in the page, and compare them with the previous reading. */
async function readCanvas(page: Page): Promise<CanvasReading> {
  // the project compiles without DOM types, so the page's globals are reached through `any`
  return page.evaluate(() => {
    const page = globalThis as any;
    const canvas = page.document.getElementById("scatter-canvas");
    // read a fresh copy, so the report's own canvas is never read back (which chromium warns about)
    const copy = page.document.createElement("canvas");
    copy.width = canvas.width;
    copy.height = canvas.height;
    const copyContext = copy.getContext("2d", { willReadFrequently: true });
    copyContext.drawImage(canvas, 0, 0);
    const pixels: Uint8ClampedArray = copyContext.getImageData(0, 0, copy.width, copy.height).data;
    const previous: Uint8ClampedArray | undefined = page.lastPixels;
    let painted = 0;
    let changed = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3]! > 0) painted++;
      if (previous && previous.length === pixels.length) {
        const same =
          pixels[i] === previous[i] &&
          pixels[i + 1] === previous[i + 1] &&
          pixels[i + 2] === previous[i + 2] &&
          pixels[i + 3] === previous[i + 3];
        if (!same) changed++;
      }
    }
    page.lastPixels = pixels;
    return { width: canvas.width, height: canvas.height, painted, changed };
  });
}

describe.skipIf(!canRun)("report page in headless chromium", () => {
  it("draws the scatter and recolours it by cluster at 1280x800", async () => {
    const { page, problems } = await openReport(1280, 800);
    const phaseView = await readCanvas(page);
    expect(phaseView.width).toBeGreaterThan(300);
    // 2,500 points of radius ~2.4 px: thousands of painted pixels, far from blank
    expect(phaseView.painted).toBeGreaterThan(5000);
    expect(await page.locator("#scatter-legend li").allTextContents()).toContain("clean" + countOf(data.points.phase, 0));

    await page.click('[data-color-by="cluster"]');
    const clusterView = await readCanvas(page);
    expect([clusterView.width, clusterView.height]).toEqual([phaseView.width, phaseView.height]);
    expect(clusterView.changed).toBeGreaterThan(1000);
    expect(await page.getAttribute('[data-color-by="cluster"]', "aria-pressed")).toBe("true");
    expect(await page.locator("#scatter-legend li").first().textContent()).toBe("cluster 0" + countOf(data.points.cluster, 0));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "report-desktop.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("without an evaluation, draws the scatter and shows what is left out", async () => {
    const partialPath = join(workDir, "partial.html");
    const note =
      "no macro F1, confusion matrix, per-phase scores or latencies: no stage scores the predictions this fit draws (knn.predictions)";
    writeFileSync(partialPath, renderReport({ ...data, metrics: undefined, projection: undefined, notes: [note] }));
    const { page, problems } = await openReport(1280, 800, partialPath);
    expect((await readCanvas(page)).painted).toBeGreaterThan(5000);
    expect(await page.locator("#notes li").allTextContents()).toEqual([note]);
    expect(await page.locator("#confusion").count()).toBe(0);
    await page.click('[data-color-by="predicted"]');
    expect(await page.locator("#scatter-legend li").first().textContent()).toBe("clean" + countOf(data.points.predicted, 0));
    expect(problems).toEqual([]);
    await page.close();
  });

  it("rotates on drag and zooms on wheel", async () => {
    const { page, problems } = await openReport(1280, 800);
    await readCanvas(page);
    const box = (await page.locator("#scatter-canvas").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 120, box.y + box.height / 2 + 40, { steps: 5 });
    await page.mouse.up();
    await nextFrame(page);
    expect((await readCanvas(page)).changed).toBeGreaterThan(1000);

    await page.mouse.wheel(0, -400);
    await nextFrame(page);
    expect((await readCanvas(page)).changed).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows a confusion matrix whose cells sum to the test rows", async () => {
    const { page, problems } = await openReport(1280, 800);
    const counts = await page.locator("td.cm-cell").allTextContents();
    expect(counts).toHaveLength(data.metrics.confusion.labels.length ** 2);
    expect(counts.map(Number).reduce((a, b) => a + b, 0)).toBe(data.metrics.n_test);
    expect(await page.locator(".tile-value").first().textContent()).toBe(data.metrics.macro_f1.toFixed(3));
    expect(problems).toEqual([]);
    await page.close();
  });

  it("charts the runs: one chart per swept parameter, one point per run, redrawn for another metric", async () => {
    const { page, problems } = await openReport(1280, 800);
    const charts = page.locator("#run-charts svg");
    expect(await charts.count()).toBe(data.runs.axes.length);
    expect(await charts.evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute("data-param")))).toEqual(
      data.runs.axes.map((a) => a.param),
    );
    for (let i = 0; i < data.runs.axes.length; i++) {
      const points = charts.nth(i).locator("circle.run-point");
      expect(await points.count()).toBe(data.runs.runs.length);
      // drawn inside the chart, and not all on one spot
      const boxes = await points.evaluateAll((circles) => circles.map((c) => [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))]));
      expect(new Set(boxes.map(([, cy]) => cy)).size).toBeGreaterThan(1);
      for (const [cx, cy] of boxes) expect(cx! > 0 && cx! < 320 && cy! > 0 && cy! < 210).toBe(true);
    }
    expect(await page.locator("#run-charts circle.run-point.current").count()).toBe(data.runs.axes.length);
    expect(await page.locator(".runs-table tbody tr").count()).toBe(data.runs.runs.length);

    const before = await chartHeights(page);
    await page.selectOption("#runs-metric", "cluster.inertia");
    expect(await charts.first().getAttribute("data-metric")).toBe("cluster.inertia");
    const after = await chartHeights(page);
    expect(after).toHaveLength(before.length);
    expect(after).not.toEqual(before);
    expect(await page.locator("#run-charts figcaption").first().textContent()).toContain("cluster.inertia by");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator("#runs").screenshot({ path: join(ARTIFACTS, "report-runs.png") });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the phase, prediction, cluster and episode of the point under the pointer", async () => {
    const { page, problems } = await openReport(1280, 800);
    const tip = page.locator("#scatter-tip");
    expect(await tip.isHidden()).toBe(true);
    const box = (await page.locator("#scatter-canvas").boundingBox())!;
    // sweep the pointer over the middle of the canvas until it rests on a point
    let index: string | null = null;
    for (let step = 0; step < 40 && index === null; step++) {
      await page.mouse.move(box.x + box.width * (0.3 + 0.01 * step), box.y + box.height * (0.35 + 0.0075 * step));
      index = (await tip.isVisible()) ? await tip.getAttribute("data-index") : null;
    }
    expect(index).not.toBeNull();
    const i = Number(index);
    const field = (name: string) => tip.locator(`dd[data-field="${name}"]`).textContent();
    const names = (code: number) => data.metrics.per_class.find((c) => c.code === code)?.phase;
    expect(await field("phase")).toBe(names(data.points.phase[i]!));
    expect(await field("predicted")).toBe(names(data.points.predicted[i]!));
    expect(await field("cluster")).toBe(String(data.points.cluster[i]));
    expect(await field("episode")).toBe(data.points.episodeNames[data.points.episode[i]!]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator("#scatter").screenshot({ path: join(ARTIFACTS, "report-hover.png") });

    await page.mouse.move(box.x + box.width / 2, box.y + box.height + 60); // off the canvas
    expect(await tip.isHidden()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("fits a 390 px phone screen without horizontal overflow", async () => {
    const { page, problems } = await openReport(390, 800);
    const widths = await page.evaluate(() => {
      const page = globalThis as any;
      return { scroll: page.document.documentElement.scrollWidth as number, inner: page.innerWidth as number };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.inner);
    const reading = await readCanvas(page);
    expect(reading.painted).toBeGreaterThan(2000);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "report-phone.png"), fullPage: true });
    await page.screenshot({ path: join(ARTIFACTS, "report-phone-top.png") });
    await page.locator("#confusion").screenshot({ path: join(ARTIFACTS, "report-phone-confusion.png") });
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** Every plotted run's cy in every chart, in order. */
async function chartHeights(page: Page): Promise<string[]> {
  return page.locator("#run-charts circle.run-point").evaluateAll((circles) => circles.map((c) => c.getAttribute("cy") ?? ""));
}

function countOf(values: ArrayLike<number>, value: number): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === value) count++;
  return count;
}

/** Wait until the page has painted the frame its last input requested. */
async function nextFrame(page: Page): Promise<void> {
  await page.evaluate(() => {
    const frame = (globalThis as any).requestAnimationFrame as (callback: () => void) => void;
    return new Promise<void>((resolve) => frame(() => frame(resolve)));
  });
}
