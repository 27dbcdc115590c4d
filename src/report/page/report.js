// pipeline report page script: plain ES2020, no dependencies, inlined by src/report/render.ts.
// It reads the embedded JSON and draws the 3-D scatter (drag rotates, wheel/pinch zooms),
// with a colour toggle (true phase / predicted / cluster), a legend, and the details of the
// point nearest the pointer (hover, or a tap on a touch screen).
(function () {
  "use strict";

  // phase colours by code: green → amber → orange → red for the infection course, then dormant, failed
  const PHASE_COLOURS = ["#2f9e44", "#f0a202", "#e8590c", "#c92a2a", "#7048e8", "#495057"];
  // Tableau 10, for clusters; more clusters than colours continue with golden-angle hues
  const CLUSTER_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  const NONE_COLOUR = "#adb5bd";
  const CAMERA_DISTANCE = 2.6;
  const DEFAULT_VIEW = { yaw: -0.65, pitch: 0.38, zoom: 1 };

  const data = JSON.parse(document.getElementById("report-data").textContent);
  const points = data.points;
  const count = points.x.length;
  const canvas = document.getElementById("scatter-canvas");
  const legend = document.getElementById("scatter-legend");
  const context = canvas.getContext("2d");
  const tip = document.getElementById("scatter-tip");
  // where the last frame drew each point, in canvas pixels, for hover hit-testing
  const screen = { x: new Float32Array(count), y: new Float32Array(count), order: [], radius: 0 };
  const view = { mode: "phase", yaw: DEFAULT_VIEW.yaw, pitch: DEFAULT_VIEW.pitch, zoom: DEFAULT_VIEW.zoom };
  let framePending = false;

  function colourOf(mode, value) {
    if (value < 0) return NONE_COLOUR;
    if (mode === "cluster") {
      return value < CLUSTER_COLOURS.length ? CLUSTER_COLOURS[value] : "hsl(" + ((value * 137.508) % 360).toFixed(1) + ", 60%, 50%)";
    }
    return PHASE_COLOURS[value] || NONE_COLOUR;
  }

  function labelOf(mode, value) {
    if (value < 0) return "none";
    if (mode === "cluster") return "cluster " + value;
    return data.phaseNames[String(value)] || "phase " + value;
  }

  /** Rotate a point of the unit cube (centred) by yaw about y, then pitch about x. */
  function rotate(x, y, z) {
    const cy = Math.cos(view.yaw),
      sy = Math.sin(view.yaw);
    const cp = Math.cos(view.pitch),
      sp = Math.sin(view.pitch);
    const x1 = cy * x + sy * z;
    const z1 = -sy * x + cy * z;
    return [x1, cp * y - sp * z1, sp * y + cp * z1];
  }

  /** Perspective projection of a rotated point; depth grows towards the viewer. */
  function project(rotated, width, height) {
    // at zoom 1 the cube's projected diagonal just fits the shorter side of the canvas
    const scale = (Math.min(width, height) * 1.45 * view.zoom) / (CAMERA_DISTANCE - rotated[2]);
    return [width / 2 + rotated[0] * scale, height / 2 - rotated[1] * scale, scale];
  }

  function resizeCanvas() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    return ratio;
  }

  function drawCube(width, height, ratio) {
    const corners = [];
    for (let i = 0; i < 8; i++) {
      corners.push(project(rotate((i & 1) - 0.5, ((i >> 1) & 1) - 0.5, ((i >> 2) & 1) - 0.5), width, height));
    }
    context.strokeStyle = "rgba(97, 110, 124, 0.35)";
    context.lineWidth = ratio;
    context.beginPath();
    for (let i = 0; i < 8; i++) {
      for (const bit of [1, 2, 4]) {
        if (i & bit) continue;
        context.moveTo(corners[i][0], corners[i][1]);
        context.lineTo(corners[i | bit][0], corners[i | bit][1]);
      }
    }
    context.stroke();
    context.fillStyle = "#616e7c";
    context.font = 11 * ratio + "px system-ui, sans-serif";
    context.fillText("x", corners[1][0] + 4 * ratio, corners[1][1]);
    context.fillText("y", corners[2][0] + 4 * ratio, corners[2][1]);
    context.fillText("z", corners[4][0] + 4 * ratio, corners[4][1]);
  }

  function draw() {
    framePending = false;
    const ratio = resizeCanvas();
    const width = canvas.width,
      height = canvas.height;
    context.clearRect(0, 0, width, height);
    drawCube(width, height, ratio);
    const screenX = screen.x,
      screenY = screen.y,
      depth = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const rotated = rotate(points.x[i] - 0.5, points.y[i] - 0.5, points.z[i] - 0.5);
      const p = project(rotated, width, height);
      screenX[i] = p[0];
      screenY[i] = p[1];
      depth[i] = rotated[2];
    }
    // painter's algorithm: far points first, so near points cover them
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => depth[a] - depth[b] || a - b);
    const values = points[view.mode];
    const radius = Math.max(1.5, 2.4 * Math.sqrt(view.zoom)) * ratio;
    screen.order = order;
    screen.radius = radius;
    for (const i of order) {
      context.globalAlpha = points.isTrain[i] ? 0.35 : 0.9;
      context.fillStyle = colourOf(view.mode, values[i]);
      context.beginPath();
      context.arc(screenX[i], screenY[i], radius * (1 + 0.25 * depth[i]), 0, 2 * Math.PI);
      context.fill();
    }
    context.globalAlpha = 1;
  }

  function requestDraw() {
    if (framePending) return;
    framePending = true;
    window.requestAnimationFrame(draw);
  }

  function renderLegend() {
    const values = points[view.mode];
    const counts = new Map();
    for (let i = 0; i < count; i++) counts.set(values[i], (counts.get(values[i]) || 0) + 1);
    legend.textContent = "";
    for (const value of Array.from(counts.keys()).sort((a, b) => a - b)) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = colourOf(view.mode, value);
      const name = document.createElement("span");
      name.textContent = labelOf(view.mode, value);
      const number = document.createElement("span");
      number.className = "count";
      number.textContent = String(counts.get(value));
      item.append(swatch, name, number);
      legend.append(item);
    }
  }

  function setMode(mode) {
    view.mode = mode;
    for (const button of document.querySelectorAll("[data-color-by]")) {
      button.setAttribute("aria-pressed", String(button.dataset.colorBy === mode));
    }
    renderLegend();
    draw();
  }

  /** The point drawn nearest (clientX, clientY) within a few pixels, nearest the viewer on ties; -1 for none. */
  function pointAt(clientX, clientY) {
    const rect = canvas.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return -1;
    const px = ((clientX - rect.left) * canvas.width) / rect.width;
    const py = ((clientY - rect.top) * canvas.height) / rect.height;
    const reach = screen.radius + 6 * (window.devicePixelRatio || 1);
    let best = -1,
      bestDistance = reach * reach;
    // front to back: a nearer point wins a tie, as it is the one drawn on top
    for (let k = screen.order.length - 1; k >= 0; k--) {
      const i = screen.order[k];
      const d = (screen.x[i] - px) ** 2 + (screen.y[i] - py) ** 2;
      if (d < bestDistance) {
        best = i;
        bestDistance = d;
      }
    }
    return best;
  }

  function showDetails(clientX, clientY) {
    const i = pointAt(clientX, clientY);
    if (i < 0) return hideDetails();
    const rows = [
      ["phase", labelOf("phase", points.phase[i])],
      ["predicted", labelOf("predicted", points.predicted[i])],
      ["cluster", points.cluster[i] < 0 ? "none" : String(points.cluster[i])],
      ["episode", points.episodeNames[points.episode[i]] || "–"],
    ];
    const list = document.createElement("dl");
    for (const [key, value] of rows) {
      const term = document.createElement("dt");
      term.textContent = key;
      const detail = document.createElement("dd");
      detail.dataset.field = key;
      detail.textContent = value;
      list.append(term, detail);
    }
    const note = document.createElement("p");
    note.textContent = points.isTrain[i] ? "training row" : "scored row";
    tip.replaceChildren(list, note);
    tip.dataset.index = String(i);
    tip.hidden = false;
    // beside the point, kept inside the canvas
    const rect = canvas.getBoundingClientRect();
    const x = clientX - rect.left,
      y = clientY - rect.top;
    const left = x + 14 + tip.offsetWidth > rect.width ? x - 14 - tip.offsetWidth : x + 14;
    const top = Math.min(Math.max(0, y - tip.offsetHeight / 2), Math.max(0, rect.height - tip.offsetHeight));
    tip.style.left = Math.max(0, left) + "px";
    tip.style.top = top + "px";
  }

  function hideDetails() {
    tip.hidden = true;
    delete tip.dataset.index;
  }

  function setZoom(zoom) {
    view.zoom = Math.min(8, Math.max(0.3, zoom));
    requestDraw();
  }

  // pointer handling: one pointer rotates, two pointers pinch-zoom
  const pointers = new Map();
  let pinchDistance = 0;
  // a press that moves less than this (CSS px) is a tap: it shows the details instead of rotating
  const TAP_SLOP = 5;
  let pressedAt = null;

  function distanceBetweenPointers() {
    const [a, b] = Array.from(pointers.values());
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    pressedAt = pointers.size === 1 ? { x: event.clientX, y: event.clientY } : null;
    if (pointers.size === 2) pinchDistance = distanceBetweenPointers();
  });
  canvas.addEventListener("pointermove", (event) => {
    const last = pointers.get(event.pointerId);
    if (!last) {
      if (event.pointerType === "mouse" || event.pointerType === "pen") showDetails(event.clientX, event.clientY);
      return;
    }
    if (pressedAt && Math.hypot(event.clientX - pressedAt.x, event.clientY - pressedAt.y) < TAP_SLOP) return;
    pressedAt = null;
    hideDetails();
    const dx = event.clientX - last.x,
      dy = event.clientY - last.y;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pointers.size === 1) {
      view.yaw += dx * 0.01;
      view.pitch = Math.min(1.55, Math.max(-1.55, view.pitch + dy * 0.01));
      requestDraw();
    } else if (pointers.size === 2 && pinchDistance > 0) {
      const distance = distanceBetweenPointers();
      setZoom(view.zoom * (distance / pinchDistance));
      pinchDistance = distance;
    }
  });
  const release = (event) => {
    if (event.type === "pointerup" && pressedAt && pointers.size === 1) showDetails(event.clientX, event.clientY);
    pressedAt = null;
    pointers.delete(event.pointerId);
    pinchDistance = pointers.size === 2 ? distanceBetweenPointers() : 0;
  };
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("pointerleave", (event) => {
    if (pointers.size === 0 && event.pointerType !== "touch") hideDetails();
  });
  canvas.addEventListener(
    "wheel",
    (event) => {
      event.preventDefault();
      hideDetails();
      setZoom(view.zoom * Math.exp(-event.deltaY * 0.0015));
    },
    { passive: false },
  );

  for (const button of document.querySelectorAll("[data-color-by]")) {
    button.addEventListener("click", () => setMode(button.dataset.colorBy));
  }
  document.querySelector("[data-action=reset-view]").addEventListener("click", () => {
    hideDetails();
    view.yaw = DEFAULT_VIEW.yaw;
    view.pitch = DEFAULT_VIEW.pitch;
    setZoom(DEFAULT_VIEW.zoom);
  });
  window.addEventListener("resize", requestDraw);

  // setMode draws synchronously, so the page is complete as soon as it has loaded
  setMode("phase");
})();
