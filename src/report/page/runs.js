// pipeline report, runs section: plain ES2020, no dependencies, inlined after report.js.
// One small SVG chart per parameter that differs between the recorded runs: the chosen metric
// (y) against the parameter (x; numbers on a numeric axis, anything else as categories).
(function () {
  "use strict";

  // the SVG namespace as the HTML parser spells it: the page itself carries no URL at all
  const SVG = (function () {
    const probe = document.createElement("div");
    probe.innerHTML = "<svg></svg>";
    return probe.firstChild.namespaceURI;
  })();
  const WIDTH = 320,
    HEIGHT = 210;
  const MARGIN = { left: 52, right: 12, top: 12, bottom: 38 };

  const runs = JSON.parse(document.getElementById("report-data").textContent).runs;
  const select = document.getElementById("runs-metric");
  const box = document.getElementById("run-charts");
  if (!runs || !select || !box) return;

  function element(name, attributes, text) {
    const node = document.createElementNS(SVG, name);
    for (const key of Object.keys(attributes)) node.setAttribute(key, String(attributes[key]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function format(value) {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    const magnitude = Math.abs(value);
    return String(Number(magnitude >= 1000 || magnitude < 1e-3 ? value.toExponential(2) : value.toPrecision(4)));
  }

  /** [lo, hi] widened so a single value (or equal values) still gets an axis, with a little air. */
  function domain(values) {
    const lo = Math.min.apply(null, values),
      hi = Math.max.apply(null, values);
    if (lo === hi) {
      const pad = Math.abs(lo) * 0.1 || 1;
      return [lo - pad, hi + pad];
    }
    const pad = (hi - lo) * 0.08;
    return [lo - pad, hi + pad];
  }

  /** About `count` round tick values inside [lo, hi]. */
  function ticks(lo, hi, count) {
    const raw = (hi - lo) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
    return out;
  }

  function runLabel(run) {
    return run.name ? run.name + " (" + run.id + ")" : run.id;
  }

  function drawChart(axis, metric) {
    const plotted = runs.runs.filter((run) => axis.param in run.x && typeof run.metrics[metric] === "number");
    const figure = document.createElement("figure");
    figure.className = "run-chart";
    const svg = element("svg", {
      viewBox: "0 0 " + WIDTH + " " + HEIGHT,
      role: "img",
      "data-param": axis.param,
      "data-metric": metric,
      "data-points": plotted.length,
    });
    svg.append(element("title", {}, metric + " against " + axis.param));
    const inner = { left: MARGIN.left, right: WIDTH - MARGIN.right, top: MARGIN.top, bottom: HEIGHT - MARGIN.bottom };
    svg.append(
      element("rect", {
        class: "plot-area",
        x: inner.left,
        y: inner.top,
        width: inner.right - inner.left,
        height: inner.bottom - inner.top,
      }),
    );

    const ys = plotted.map((run) => run.metrics[metric]);
    const [yLo, yHi] = ys.length > 0 ? domain(ys) : [0, 1];
    const yOf = (v) => inner.bottom - ((v - yLo) / (yHi - yLo)) * (inner.bottom - inner.top);
    let xOf, xTicks;
    if (axis.kind === "numeric") {
      const [xLo, xHi] = plotted.length > 0 ? domain(plotted.map((run) => run.x[axis.param])) : [0, 1];
      xOf = (v) => inner.left + ((v - xLo) / (xHi - xLo)) * (inner.right - inner.left);
      xTicks = ticks(xLo, xHi, 4).map((t) => [xOf(t), format(t)]);
    } else {
      const band = (inner.right - inner.left) / Math.max(1, axis.categories.length);
      xOf = (i) => inner.left + band * (i + 0.5);
      xTicks = axis.categories.map((label, i) => [xOf(i), label.length > 12 ? label.slice(0, 11) + "…" : label]);
    }
    for (const t of ticks(yLo, yHi, 4)) {
      svg.append(element("line", { class: "grid-line", x1: inner.left, x2: inner.right, y1: yOf(t), y2: yOf(t) }));
      svg.append(element("text", { class: "tick", x: inner.left - 4, y: yOf(t) + 3, "text-anchor": "end" }, format(t)));
    }
    for (const [x, label] of xTicks) {
      svg.append(element("line", { class: "tick-mark", x1: x, x2: x, y1: inner.bottom, y2: inner.bottom + 4 }));
      svg.append(element("text", { class: "tick", x: x, y: inner.bottom + 15, "text-anchor": "middle" }, label));
    }
    svg.append(
      element("text", { class: "axis-label", x: (inner.left + inner.right) / 2, y: HEIGHT - 4, "text-anchor": "middle" }, axis.param),
    );

    for (const run of plotted) {
      const current = run.id === runs.current;
      const point = element("circle", {
        class: "run-point" + (current ? " current" : "") + (run.status === "ok" ? "" : " failed"),
        cx: xOf(run.x[axis.param]).toFixed(2),
        cy: yOf(run.metrics[metric]).toFixed(2),
        r: current ? 5.5 : 4,
        "data-run": run.id,
      });
      const value = axis.kind === "numeric" ? format(run.x[axis.param]) : axis.categories[run.x[axis.param]];
      point.append(
        element("title", {}, runLabel(run) + "\n" + axis.param + " = " + value + "\n" + metric + " = " + format(run.metrics[metric])),
      );
      svg.append(point);
    }
    const caption = document.createElement("figcaption");
    caption.textContent = metric + " by " + axis.param + " · " + plotted.length + " run" + (plotted.length === 1 ? "" : "s");
    figure.append(svg, caption);
    return figure;
  }

  function drawAll() {
    const metric = select.value;
    box.replaceChildren(...runs.axes.map((axis) => drawChart(axis, metric)));
  }

  select.addEventListener("change", drawAll);
  drawAll();
})();
