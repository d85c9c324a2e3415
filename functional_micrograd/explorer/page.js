// The explorer page's script. It draws what the JSON block holds; every number
// it shows is read from there (computed by functional_micrograd in Python).
// Its one computation is `forward`, a forward pass on floats that shades the
// decision regions; the tests check it against the library's forward.
// All text goes in through textContent, never as HTML.
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
  if (DATA.format !== 1) {
    document.body.prepend(Object.assign(document.createElement("p"), {
      textContent: `This page's data is of format ${DATA.format}; this script reads format 1.`,
    }));
    throw new Error("explorer: unknown data format " + DATA.format);
  }
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e",
                   "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
  const PACKED = ["params", "data", "grad", "upstream", "local", "contribution", "total"];
  const states = DATA.states;
  const history = DATA.history;
  const nodes = DATA.graph.nodes;
  const edges = DATA.graph.edges;  // [child, parent], in the order backward applies them
  const root = nodes.length - 1;
  const $ = (id) => document.getElementById(id);

  // -- numbers ---------------------------------------------------------------------

  // A packed list: base64 of little-endian float64s, exactly Python's floats.
  function unpack(text) {
    const bytes = atob(text);
    const view = new DataView(new ArrayBuffer(bytes.length));
    for (let i = 0; i < bytes.length; i++) view.setUint8(i, bytes.charCodeAt(i));
    const out = new Float64Array(bytes.length / 8);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
    return out;
  }

  const decoded = new Map();
  function numbers(i) {
    if (!decoded.has(i)) {
      const s = states[i];
      const d = { step: s.step, row: s.row };
      for (const key of PACKED) d[key] = unpack(s[key]);
      decoded.set(i, d);
    }
    return decoded.get(i);
  }

  // Four significant digits for reading; the exact value stays on the element.
  function fmt(x) {
    if (x === 0) return "0";
    const a = Math.abs(x);
    if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(4)));
    return x.toExponential(3);
  }

  function num(x, tag) {
    const el = document.createElement(tag || "span");
    el.className = "num";
    el.textContent = fmt(x);
    el.dataset.value = String(x);
    el.title = String(x);
    return el;
  }

  function setNum(el, x) {
    el.textContent = fmt(x);
    el.dataset.value = String(x);
    el.title = String(x);
  }

  function clearNum(el, text, why) {
    el.textContent = text;
    delete el.dataset.value;
    el.title = why || "";
  }

  function el(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function svg(tag, attrs, parent) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function append(parent, ...children) {
    for (const c of children) parent.append(c);
    return parent;
  }

  // -- the forward pass that shades the regions --------------------------------------

  function activate(kind, a) {
    if (kind === "relu") return a > 0 ? a : 0;
    if (kind === "tanh") return Math.tanh(a);
    if (kind === "sigmoid") {
      if (a >= 0) return 1 / (1 + Math.exp(-a));
      const e = Math.exp(a);
      return e / (1 + e);
    }
    return a;  // linear
  }

  // The model on one input, in nn.forward's order: act = b, then act + w_i * x_i.
  function forward(layers, params, x) {
    let k = 0;
    let xs = x;
    for (const kinds of layers) {
      const out = new Array(kinds.length);
      const nin = xs.length;
      for (let j = 0; j < kinds.length; j++) {
        let act = params[k + nin];
        for (let i = 0; i < nin; i++) act = act + params[k + i] * xs[i];
        out[j] = activate(kinds[j], act);
        k += nin + 1;
      }
      xs = out;
    }
    return xs;
  }

  // The class a model's outputs pick and how sure: one output is a score read by
  // its sign; several are logits, the largest wins, shaded by its softmax probability.
  function region(outputs) {
    if (outputs.length === 1) {
      const s = outputs[0];
      return { cls: s > 0 ? 1 : 0, strength: Math.min(1, Math.abs(s)) };
    }
    let best = 0;
    for (let i = 1; i < outputs.length; i++) if (outputs[i] > outputs[best]) best = i;
    let sum = 0;
    for (const o of outputs) sum += Math.exp(o - outputs[best]);
    const p = 1 / sum;
    const k = outputs.length;
    return { cls: best, probability: p, strength: (p - 1 / k) / (1 - 1 / k) };
  }

  // -- the plot of the data and the regions ------------------------------------------

  const canvas = $("regions");
  const ctx = canvas.getContext("2d");
  const classes = DATA.dataset.classes;
  const classIndex = (label) => classes.indexOf(label);
  const plane = (function () {
    const [x0, x1, y0, y1] = DATA.dataset.bounds;
    const scale = Math.min(canvas.width / (x1 - x0), canvas.height / (y1 - y0));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    return {
      scale,
      px: (x) => canvas.width / 2 + (x - cx) * scale,
      py: (y) => canvas.height / 2 - (y - cy) * scale,
      x: (px) => cx + (px - canvas.width / 2) / scale,
      y: (py) => cy - (py - canvas.height / 2) / scale,
    };
  })();

  function rgb(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function tint(hex, amount) {
    const c = rgb(hex).map((v) => Math.round(255 - (255 - v) * amount));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }

  function drawRegions(d) {
    const cell = 4;
    const layers = DATA.model.layers;
    for (let py = 0; py < canvas.height; py += cell) {
      for (let px = 0; px < canvas.width; px += cell) {
        const r = region(forward(layers, d.params, [plane.x(px + cell / 2), plane.y(py + cell / 2)]));
        ctx.fillStyle = tint(PALETTE[r.cls % PALETTE.length], 0.12 + 0.38 * r.strength);
        ctx.fillRect(px, py, cell, cell);
      }
    }
    ctx.strokeStyle = "rgba(0,0,0,0.15)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(plane.px(0), 0); ctx.lineTo(plane.px(0), canvas.height);
    ctx.moveTo(0, plane.py(0)); ctx.lineTo(canvas.width, plane.py(0));
    ctx.stroke();
    const points = DATA.dataset.points;
    const labels = DATA.dataset.labels;
    for (let i = 0; i < points.length; i++) {
      ctx.beginPath();
      ctx.arc(plane.px(points[i][0]), plane.py(points[i][1]), 4, 0, 2 * Math.PI);
      ctx.fillStyle = PALETTE[classIndex(labels[i]) % PALETTE.length];
      ctx.fill();
      ctx.strokeStyle = "#222";
      ctx.lineWidth = 0.7;
      ctx.stroke();
    }
    const p = DATA.point.inputs;
    ctx.beginPath();
    ctx.arc(plane.px(p[0]), plane.py(p[1]), 9, 0, 2 * Math.PI);
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 2.5;
    ctx.stroke();
  }

  // One swatch per class: its colour on the plot and its label.
  function drawClassKey() {
    const key = $("class-key");
    classes.forEach((label, k) => {
      const item = el("span");
      item.dataset.label = String(label);
      const box = svg("svg", { width: 12, height: 12 }, item);
      svg("rect", { width: 12, height: 12, fill: PALETTE[k % PALETTE.length], stroke: "#222" }, box);
      const count = DATA.dataset.labels.filter((y) => y === label).length;
      item.append(`class ${label} (${count} points)`);
      key.append(item);
    });
  }

  // -- the curves ------------------------------------------------------------------

  const curves = $("curves");
  const lastStep = Math.max(states[states.length - 1].step,
                            history.length ? history[history.length - 1].step : 0, 1);
  const hasValidation = history.some((r) => r.val_loss !== null && r.val_loss !== undefined);
  let marker = null;

  function drawCurves() {
    const W = +curves.getAttribute("width");
    const left = 44, right = 10, panel = 95, gap = 30, top = 14;
    const sx = (step) => left + (W - left - right) * step / lastStep;
    if (!history.length) {
      svg("text", { x: left, y: 40, "font-size": 12, fill: "#5d6677" }, curves)
        .textContent = "No history yet: the run has no step.";
      return;
    }
    const lossMax = Math.max(...history.map((r) => r.loss),
                             ...history.map((r) => r.val_loss || 0)) || 1;
    const panels = [
      { name: "loss", y0: top, max: lossMax, keys: ["loss", "val_loss"] },
      { name: "accuracy", y0: top + panel + gap, max: 1, keys: ["accuracy", "val_accuracy"] },
    ];
    for (const p of panels) {
      const sy = (v) => p.y0 + panel - panel * v / p.max;
      svg("rect", { x: left, y: p.y0, width: W - left - right, height: panel,
                    fill: "#fafbfc", stroke: "#d5d9e0" }, curves);
      svg("text", { x: left - 4, y: p.y0 + 9, "text-anchor": "end", "font-size": 10,
                    fill: "#5d6677" }, curves).textContent = p.name === "accuracy" ? "100%" : fmt(p.max);
      svg("text", { x: left - 4, y: p.y0 + panel, "text-anchor": "end", "font-size": 10,
                    fill: "#5d6677" }, curves).textContent = p.name === "accuracy" ? "0%" : "0";
      svg("text", { x: left + 4, y: p.y0 - 3, "font-size": 11, fill: "#1d2330" }, curves)
        .textContent = p.name + (hasValidation ? " (solid: training, dashed: validation)" : "");
      p.keys.forEach((key, k) => {
        const rows = history.filter((r) => r[key] !== null && r[key] !== undefined);
        if (!rows.length) return;
        const d = rows.map((r, i) => `${i ? "L" : "M"}${sx(r.step).toFixed(1)},${sy(r[key]).toFixed(1)}`);
        svg("path", { d: d.join(""), fill: "none", stroke: k ? "#e39a2d" : "#2a6fdb",
                      "stroke-width": 1.6, "stroke-dasharray": k ? "5,3" : "none" }, curves);
      });
    }
    svg("text", { x: left, y: top + 2 * panel + gap + 12, "font-size": 10, fill: "#5d6677" }, curves)
      .textContent = "step 0";
    svg("text", { x: W - right, y: top + 2 * panel + gap + 12, "font-size": 10, fill: "#5d6677",
                  "text-anchor": "end" }, curves).textContent = `step ${lastStep}`;
    marker = svg("line", { y1: top, y2: top + 2 * panel + gap, stroke: "#d62839",
                           "stroke-width": 1.5 }, curves);
    marker.dataset.scale = String((W - left - right) / lastStep);
    marker.dataset.left = String(left);
  }

  function moveMarker(step) {
    if (!marker) return;
    const x = +marker.dataset.left + +marker.dataset.scale * step;
    marker.setAttribute("x1", x);
    marker.setAttribute("x2", x);
  }

  // -- the graph -------------------------------------------------------------------

  const BOX_W = 104, BOX_H = 42, COL_W = 136, ROW_H = 48, MARGIN = 30;
  const graph = $("graph");
  const viewport = svg("g", {}, graph);
  const groupLayer = svg("g", {}, viewport);
  const edgeLayer = svg("g", {}, viewport);
  const nodeLayer = svg("g", {}, viewport);
  const labelLayer = svg("g", {}, viewport);
  const minRow = Math.min(...nodes.map((n) => n.row));
  const place = nodes.map((n) => ({
    x: MARGIN + n.column * COL_W,
    y: MARGIN + (n.row - minRow) * ROW_H,
  }));
  const size = {
    w: 2 * MARGIN + Math.max(...nodes.map((n) => n.column)) * COL_W + BOX_W,
    h: 2 * MARGIN + (Math.max(...nodes.map((n) => n.row)) - minRow) * ROW_H + BOX_H,
  };
  const childrenOf = nodes.map(() => []);  // edge indices whose parent is the node
  const inputsOf = nodes.map(() => []);    // edge indices whose child is the node
  edges.forEach(([child, parent], e) => {
    childrenOf[parent].push(e);
    inputsOf[child].push(e);
  });

  function short(text, n) {
    return text.length > n ? text.slice(0, n - 1) + "\u2026" : text;
  }

  // A node's label; else its name (the model's outputs: "score", or logits "z0", "z1"
  // ...; and a difference of two logits in the loss, "z0 - z1"); else its op.
  function name(i) {
    const n = nodes[i];
    if (n.label !== null) return n.label;
    if (i === root) return `loss (${n.op})`;
    if (n.name) return n.name;
    if (n.op) return n.op;
    return "constant";
  }

  // A name that says where an unlabelled op is: "+ in L1.N3", "* in the loss",
  // or for a named one "z0 (+ in L1.N0)".
  function fullName(i) {
    const n = nodes[i];
    if (n.label !== null || !n.op || i === root) return name(i);
    const where = n.neuron ? `${n.op} in L${n.neuron[0]}.N${n.neuron[1]}` : `${n.op} in the loss`;
    return n.name ? `${n.name} (${where})` : where;
  }

  function describe(i) {
    const n = nodes[i];
    if (i === root) return `the loss of the point: ${DATA.loss}`;
    if (n.kind === "input") return "an input: one coordinate of the point";
    if (n.kind === "weight") return `weight ${n.param[2]} of neuron ${n.param[1]} in layer ${n.param[0]}`;
    if (n.kind === "bias") return `the bias of neuron ${n.param[1]} in layer ${n.param[0]}`;
    if (n.kind === "constant") {
      return DATA.dataset.task === "binary" ? "a constant (the label, a 1 or a 1/n of the loss)"
                                            : "a constant (the 1/n of the mean over points)";
    }
    const where = n.neuron ? ` in neuron ${n.neuron[1]} of layer ${n.neuron[0]}` : " in the loss";
    const output = n.name === "score" ? ": the model's score" :
      (n.name && n.neuron ? `: the model's logit ${n.name}, for class ${n.name.slice(1)}` : "");
    return `the result of ${n.op}${where}${output}`;
  }

  const edgeEls = edges.map(([child, parent], e) => {
    const a = place[parent], b = place[child];
    const twin = inputsOf[child].filter((f) => edges[f][1] === parent).indexOf(e);
    const y1 = a.y + BOX_H / 2 + twin * 6, y2 = b.y + BOX_H / 2 + twin * 6;
    const x1 = a.x + BOX_W, x2 = b.x, dx = Math.max(30, (x2 - x1) / 2);
    return svg("path", { class: "edge", d: `M${x1},${y1}C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}` },
               edgeLayer);
  });

  const nodeEls = nodes.map((n, i) => {
    const g = svg("g", { class: `node ${n.kind}${i === root ? " root" : ""}`,
                         transform: `translate(${place[i].x},${place[i].y})` }, nodeLayer);
    g.dataset.index = String(i);
    svg("rect", { width: BOX_W, height: BOX_H, rx: 5 }, g);
    const title = svg("text", { x: 6, y: 12, class: "title" }, g);
    title.textContent = short(name(i), 17);
    const data = svg("text", { x: 6, y: 25, class: "data" }, g);
    const grad = svg("text", { x: 6, y: 37, class: "grad" }, g);
    svg("title", {}, g).textContent = `${name(i)}: ${describe(i)}`;
    return { g, data, grad };
  });

  // Zoomed out, the boxes are too small to read, so the graph is read per neuron:
  // each neuron's nodes sit on a shaded band, labelled with its output's data and
  // grad in text of a fixed size on screen (and so is the loss).
  // Zoomed in, the bands fade and every box shows its own numbers.
  const FAR = 0.6;  // below this scale, the bands' labels show instead of the boxes' text
  const groups = (function () {
    const byKey = new Map();
    nodes.forEach((n, i) => {
      if (n.kind === "input") return;  // the point's coordinates are in the bar above
      const key = n.neuron ? `L${n.neuron[0]}.N${n.neuron[1]}` : "loss";
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(i);
    });
    const layers = DATA.model.layers;
    return [...byKey.entries()].map(([key, members]) => {
      const xs = members.map((i) => place[i].x), ys = members.map((i) => place[i].y);
      const box = { x: Math.min(...xs) - 8, y: Math.min(...ys) - 8 };
      box.w = Math.max(...xs) + BOX_W + 8 - box.x;
      box.h = Math.max(...ys) + BOX_H + 8 - box.y;
      const g = svg("g", { class: "group" }, groupLayer);
      svg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: 10 }, g);
      const label = svg("g", { class: "group-label" }, labelLayer);
      const head = svg("text", { x: box.x + 6, y: box.y, class: "head" }, label);
      const line = svg("text", { x: box.x + 6, y: box.y, class: "line" }, label);
      const n = nodes[members[0]];
      head.textContent = key === "loss" ? "the loss" : `${key} ${layers[n.neuron[0]][n.neuron[1]]}`;
      const output = members[members.length - 1];
      g.dataset.key = key;
      label.dataset.key = key;
      return { key, members, output, box, head, line };
    });
  })();
  // How wide a band's label may be: to the band's right edge, or to the next band it
  // is side by side with, whose label starts there.
  for (const grp of groups) {
    const { x, y, w, h } = grp.box;
    const next = groups.filter((o) => o.box.x > x + 1 && o.box.y < y + h && y < o.box.y + o.box.h);
    grp.room = Math.min(w, ...next.map((o) => o.box.x - x)) - 12;
  }

  function showGroupNumbers(d, grads) {
    for (const grp of groups) {
      const g = grads[grp.output];
      const what = grp.key === "loss" ? "" : nodes[grp.output].name ? `${nodes[grp.output].name} ` : "out ";
      grp.line.textContent = `${what}${fmt(d.data[grp.output])}, grad ${g === null ? "\u2026" : fmt(g)}`;
    }
  }

  // Pan and zoom: drag anywhere, the wheel zooms around the pointer.
  const view = { s: 1, tx: 0, ty: 0 };
  function applyView() {
    viewport.setAttribute("transform", `translate(${view.tx},${view.ty}) scale(${view.s})`);
    graph.classList.toggle("far", view.s < FAR);
    fitLabels();
  }
  // The bands' labels: 12 px on screen, smaller (down to 8 px) where a band is too narrow.
  function fitLabels() {
    if (view.s >= FAR) return;
    for (const grp of groups) {
      let size = 12 / view.s;
      for (let tries = 0; tries < 2; tries++) {
        for (const t of [grp.head, grp.line]) {
          t.setAttribute("font-size", size.toFixed(2));
          t.setAttribute("stroke-width", (size / 4).toFixed(2));
        }
        const wide = Math.max(grp.head.getComputedTextLength(), grp.line.getComputedTextLength());
        const room = grp.room;
        if (wide <= room) break;
        size = Math.max(8 / view.s, size * room / wide);
      }
      grp.head.setAttribute("y", (grp.box.y + 1.2 * size).toFixed(2));
      grp.line.setAttribute("y", (grp.box.y + 2.4 * size).toFixed(2));
    }
  }
  function zoomAt(factor, cx, cy) {
    const s = Math.min(3, Math.max(0.05, view.s * factor));
    view.tx = cx - (cx - view.tx) * s / view.s;
    view.ty = cy - (cy - view.ty) * s / view.s;
    view.s = s;
    applyView();
  }
  function fit() {
    const r = graph.getBoundingClientRect();
    view.s = Math.min(r.width / size.w, r.height / size.h, 1.2);
    view.tx = (r.width - size.w * view.s) / 2;
    view.ty = (r.height - size.h * view.s) / 2;
    applyView();
  }
  // Bring nodes into view at a readable size, unless they are in view already.
  function focusOn(indices) {
    const r = graph.getBoundingClientRect();
    const s = Math.max(view.s, 0.85);
    const xs = indices.map((i) => place[i].x + BOX_W / 2);
    const ys = indices.map((i) => place[i].y + BOX_H / 2);
    const inside = s === view.s && indices.every((i, k) => {
      const x = view.tx + xs[k] * s, y = view.ty + ys[k] * s;
      return x > 60 && x < r.width - 60 && y > 40 && y < r.height - 40;
    });
    if (inside) return;
    const mx = (Math.min(...xs) + Math.max(...xs)) / 2, my = (Math.min(...ys) + Math.max(...ys)) / 2;
    view.s = s;
    view.tx = r.width / 2 - mx * s;
    view.ty = r.height / 2 - my * s;
    applyView();
  }
  graph.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = graph.getBoundingClientRect();
    zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });
  let drag = null;
  graph.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty, moved: false };
  });
  window.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) {
      drag.moved = true;
      graph.classList.add("dragging");
    }
    view.tx = drag.tx + dx;
    view.ty = drag.ty + dy;
    applyView();
  });
  window.addEventListener("pointerup", () => {
    graph.classList.remove("dragging");
    setTimeout(() => { drag = null; }, 0);
  });
  graph.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const g = ev.target.closest(".node");
    if (g) select(+g.dataset.index);
  });
  $("zoom-in").addEventListener("click", () => {
    const r = graph.getBoundingClientRect();
    zoomAt(1.25, r.width / 2, r.height / 2);
  });
  $("zoom-out").addEventListener("click", () => {
    const r = graph.getBoundingClientRect();
    zoomAt(0.8, r.width / 2, r.height / 2);
  });
  $("zoom-fit").addEventListener("click", fit);

  // -- what is shown: the state, the backward position, the selected node --------------

  let current = 0;      // which state
  let applied = edges.length;  // how many edges of backward are applied
  let selected = null;  // which node the panel shows
  let playing = null;
  let bwPlaying = null;

  function showGraphNumbers(d) {
    // The grad each node has after `applied` edges: the running totals of backward_steps.
    const sofar = new Array(nodes.length).fill(null);
    sofar[root] = d.grad[root];
    for (let e = 0; e < applied; e++) sofar[edges[e][1]] = d.total[e];
    const done = applied === edges.length;
    const fresh = applied > 0 && !done ? edges[applied - 1][1] : -1;
    const grads = done ? Array.from(d.grad) : sofar;
    showGroupNumbers(d, grads);
    fitLabels();
    nodeEls.forEach((n, i) => {
      n.data.textContent = "data " + fmt(d.data[i]);
      const g = grads[i];
      n.grad.textContent = g === null ? "grad \u2026" : "grad " + fmt(g);
      n.grad.setAttribute("class", "grad" + (g === null ? " pending" : i === fresh ? " fresh" : ""));
      n.g.classList.remove("child", "parent");
    });
    edgeEls.forEach((p, e) => {
      p.setAttribute("class", "edge" + (e < applied ? " applied" : "") + (e === applied - 1 ? " active" : ""));
    });
    if (applied > 0) {
      const [child, parent] = edges[applied - 1];
      nodeEls[child].g.classList.add("child");
      nodeEls[parent].g.classList.add("parent");
      edgeLayer.appendChild(edgeEls[applied - 1]);  // on top of the others
    }
    if (selected !== null) for (const e of childrenOf[selected]) edgeEls[e].classList.add("picked");
  }

  function showBackward(d) {
    $("bw-position").textContent = String(applied);
    $("bw-count").textContent = String(edges.length);
    const text = $("bw-text");
    const eq = $("bw-equation");
    eq.replaceChildren();
    if (applied === 0) {
      text.textContent = "Nothing applied yet. The loss's grad is 1 (d loss / d loss); " +
        "every other grad is still to come. Press \u201cedge \u25b6\u201d.";
      return;
    }
    const e = applied - 1;
    const [child, parent] = edges[e];
    const into = childrenOf[parent];
    const k = into.indexOf(e) + 1;
    text.textContent = (applied === edges.length
      ? `All ${edges.length} edges applied: every grad is final. The last one: `
      : `Edge ${applied} of ${edges.length}: `) +
      `from ${fullName(child)} back to its input ${fullName(parent)} ` +
      (into.length === 1 ? "(the only arrow back into it)."
                         : `(arrow ${k} of the ${into.length} back into it).`);
    const total = num(d.total[e]);
    total.id = "bw-total";
    const up = num(d.upstream[e]); up.id = "bw-upstream";
    const local = num(d.local[e]); local.id = "bw-local";
    const contribution = num(d.contribution[e]); contribution.id = "bw-contribution";
    append(eq, "upstream ", up, " \u00d7 local ", local, " = contribution ", contribution,
           el("br"), `${fullName(parent)}'s grad so far: `, total,
           k === into.length ? " (final)" : "");
  }

  function showNode(d) {
    const box = $("node-info");
    box.replaceChildren();
    if (selected === null) {
      box.append(el("p", "Click a box in the graph."));
      return;
    }
    const i = selected;
    const n = nodes[i];
    box.append(append(el("p"), el("b", fullName(i)), ": " + describe(i) + "."));
    if (n.op && DATA.rules[n.op]) {
      const rule = DATA.rules[n.op];
      box.append(el("p", `Rule: ${rule.doc}${rule.derivative ? " Local derivatives: " + rule.derivative + "." : ""}`));
      const ins = append(el("p"), "Its inputs and the local derivative toward each: ");
      inputsOf[i].forEach((e, k) => {
        if (k) ins.append("; ");
        ins.append(fullName(edges[e][1]) + " (data ", num(d.data[edges[e][1]]), ") local ", num(d.local[e]));
      });
      ins.append(".");
      box.append(ins);
    }
    const data = num(d.data[i]); data.id = "node-data";
    const grad = num(d.grad[i]); grad.id = "node-grad";
    box.append(append(el("p"), "data ", data, ", grad ", grad));
    if (i === root) {
      box.append(el("p", "This is the loss: its grad, d loss / d loss, is 1 by definition."));
      return;
    }
    box.append(el("p", "Its grad is the sum of what comes back along each of its arrows, " +
                       "in the order backward adds them:"));
    const table = el("table");
    table.append(append(el("tr"), el("th", "from"), el("th", "upstream"), el("th", "\u00d7 local"),
                        el("th", "= contribution"), el("th", "sum so far")));
    for (const e of childrenOf[i]) {
      const row = el("tr");
      row.append(el("td", fullName(edges[e][0])));
      for (const x of [d.upstream[e], d.local[e], d.contribution[e], d.total[e]]) {
        row.append(append(el("td"), num(x)));
      }
      table.append(row);
    }
    box.append(table);
  }

  function select(i) {
    if (selected !== null) nodeEls[selected].g.classList.remove("selected");
    selected = i;
    nodeEls[i].g.classList.add("selected");
    render();
  }

  function showStep(d) {
    $("slider").value = String(current);
    $("step-shown").textContent = String(d.step);
    const loss = $("loss"), accuracy = $("accuracy");
    if (d.row === null) {
      const why = "The history measures a model before its update; this model was not trained further.";
      clearNum(loss, "not measured", why);
      clearNum(accuracy, "not measured", why);
    } else {
      const row = history[d.row];
      setNum(loss, row.loss);
      if (row.accuracy === null) clearNum(accuracy, "none", "");
      else {
        setNum(accuracy, row.accuracy);
        accuracy.textContent = `${Math.round(row.accuracy * 1000) / 10}%`;
      }
    }
    const v = $("validation");
    v.replaceChildren();
    if (hasValidation && d.row !== null && history[d.row].val_loss !== null) {
      const row = history[d.row];
      const vl = num(row.val_loss); vl.id = "val-loss";
      append(v, "validation loss ", vl);
      if (row.val_accuracy !== null) {
        const va = num(row.val_accuracy); va.id = "val-accuracy";
        va.textContent = `${Math.round(row.val_accuracy * 1000) / 10}%`;
        append(v, ", accuracy ", va);
      }
    }
    $("regions-caption").textContent = `Shaded: the class the model gives each place after ${d.step} ` +
      "steps (paler: less sure). Ringed: the point whose graph is drawn.";
    moveMarker(d.step);
  }

  function render() {
    const d = numbers(current);
    showStep(d);
    drawRegions(d);
    showGraphNumbers(d);
    showBackward(d);
    showNode(d);
  }

  function setState(i) {
    current = Math.max(0, Math.min(states.length - 1, i));
    render();
  }

  // -- the controls ------------------------------------------------------------------

  function stopPlaying() {
    if (playing !== null) clearInterval(playing);
    playing = null;
    $("play").textContent = "\u25b6 play";
  }
  $("play").addEventListener("click", () => {
    if (playing !== null) return stopPlaying();
    if (current === states.length - 1) setState(0);
    $("play").textContent = "\u275a\u275a pause";
    playing = setInterval(() => {
      if (current >= states.length - 1) return stopPlaying();
      setState(current + 1);
    }, 150);
  });
  $("step").addEventListener("click", () => { stopPlaying(); setState(current + 1); });
  $("reset").addEventListener("click", () => { stopPlaying(); setState(0); });
  $("slider").addEventListener("input", (ev) => { stopPlaying(); setState(+ev.target.value); });

  function stopBackward() {
    if (bwPlaying !== null) clearInterval(bwPlaying);
    bwPlaying = null;
    $("bw-play").textContent = "\u25b6 play";
  }
  function moveBackward(to) {
    applied = Math.max(0, Math.min(edges.length, to));
    render();
    if (applied > 0) focusOn(edges[applied - 1]);
    else focusOn([root]);
  }
  $("bw-start").addEventListener("click", () => { stopBackward(); moveBackward(0); });
  $("bw-back").addEventListener("click", () => { stopBackward(); moveBackward(applied - 1); });
  $("bw-next").addEventListener("click", () => { stopBackward(); moveBackward(applied + 1); });
  $("bw-play").addEventListener("click", () => {
    if (bwPlaying !== null) return stopBackward();
    if (applied === edges.length) moveBackward(0);
    $("bw-play").textContent = "\u275a\u275a pause";
    bwPlaying = setInterval(() => {
      if (applied >= edges.length) return stopBackward();
      moveBackward(applied + 1);
    }, 150);
  });

  // -- start -------------------------------------------------------------------------

  $("dataset-name").textContent = "\u00b7 " + DATA.dataset.name;
  $("model-shape").textContent = `Model: ${DATA.model.shape} (${DATA.model.parameters} parameters). ` +
    `${states.length} states of one run.`;
  const p = DATA.point;
  $("point-text").textContent = `point (${p.inputs.map(fmt).join(", ")}), label ${p.label}` +
    (p.index === null ? "" : `, data point ${p.index}`) + `: ${nodes.length} nodes, ${edges.length} edges`;
  const slider = $("slider");
  slider.max = String(states.length - 1);
  $("step-count").textContent = String(states[states.length - 1].step);
  drawClassKey();
  drawCurves();
  fit();
  render();
  window.fmExplorer = { forward, region, unpack, fmt, numbers, data: DATA };
  document.body.dataset.ready = "true";
  performance.mark("explorer-ready");
})();
