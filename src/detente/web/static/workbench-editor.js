// The scenario editor and its live analysis (see detente/web/pages/workbench/editor.py).
// Every change updates the document held here and asks the server for the plot's part at
// once (one request in flight; edits made meanwhile go in the next one); once the edits
// pause, it asks for survival and the recommended deal. Text is always set as text, never
// as HTML. Plot updates fire a "live:updated" event with the time of the first edit they
// answer and the time the plot was drawn (performance.now()), which the latency benchmark
// reads.
(() => {
  "use strict";

  const root = document.getElementById("editor");
  if (!root) return;
  const csrf = root.dataset.csrf;
  const scenarioId = root.dataset.id;
  const canEdit = root.dataset.edit === "1";
  const roles = root.dataset.roles.split(",");
  let doc = JSON.parse(document.getElementById("scenario-document").textContent);
  let baseVersion = Number(root.dataset.version);
  let dirty = false;
  let axes = { x: null, y: null };
  const SURVIVAL_PAUSE_MS = 600;
  const $ = (id) => document.getElementById(id);

  // ---------- small DOM helpers (text only) ----------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  // Make `box`'s children look like `children`, changing only what differs (a text, an
  // attribute), so an edit that moves a few numbers costs the browser a few text nodes' layout
  // rather than a new table. Nodes of another shape are replaced whole.
  function update(box, ...children) {
    const fresh = children.filter((c) => c !== null && c !== undefined);
    const old = [...box.childNodes];
    if (old.length !== fresh.length || old.some((n, k) => !same(n, fresh[k]))) {
      box.replaceChildren(...fresh);
      return;
    }
    old.forEach((n, k) => patch(n, fresh[k]));
  }
  function same(a, b) {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
    if (a.childNodes.length !== b.childNodes.length) return false;
    for (let k = 0; k < a.childNodes.length; k++) if (!same(a.childNodes[k], b.childNodes[k])) return false;
    return true;
  }
  function patch(a, b) {
    if (a.nodeType === Node.TEXT_NODE) {
      if (a.data !== b.data) a.data = b.data;
      return;
    }
    for (const { name } of [...a.attributes]) if (!b.hasAttribute(name)) a.removeAttribute(name);
    for (const { name, value } of b.attributes) if (a.getAttribute(name) !== value) a.setAttribute(name, value);
    for (let k = 0; k < a.childNodes.length; k++) patch(a.childNodes[k], b.childNodes[k]);
  }
  let uid = 0;
  const nextId = (stem) => `${stem}-${++uid}`;
  const fmt = (x, places = 3) => (x === null || x === undefined ? "–" : Number(x).toFixed(places));
  const pct = (x) => `${(100 * x).toFixed(1)}%`;

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch { data = null; }
    }
    return { status: response.status, ok: response.ok, data };
  }

  // ---------- the document's shape ----------
  const optionName = (o) => (typeof o === "object" && o !== null ? String(o.name) : String(o));
  const optionsOf = (issue) => (Array.isArray(issue.options) ? issue.options : []);
  function issueLabel(issue) { return issue.label || issue.name; }
  function optionLabel(issueName, name) {
    const issue = doc.issues.find((i) => i.name === issueName);
    const o = issue && optionsOf(issue).find((x) => optionName(x) === name);
    return (o && typeof o === "object" && o.label) || name;
  }
  function valuations(party) {
    const p = party.preferences || {};
    return p.kind === "rules" || !p.issues ? null : p.issues;
  }

  // ---------- inputs bound to a path of the document ----------
  function bindNumber(path, get, set, attrs) {
    const id = nextId("n");
    const input = el("input", { id, type: "number", step: "any", value: get(), dataset: { path }, readonly: !canEdit, ...attrs });
    input.addEventListener("input", () => {
      if (input.value === "") return;
      set(Number(input.value));
      changed();
    });
    return { id, input };
  }
  function bindText(path, get, set, attrs) {
    const id = nextId("t");
    const input = el("input", { id, type: "text", value: get() || "", dataset: { path }, readonly: !canEdit, ...attrs });
    input.addEventListener("input", () => { set(input.value); changed(false); });
    return { id, input };
  }
  function rationale(path, obj, key, what) {
    const { id, input } = bindText(path, () => obj[key], (v) => { if (v) obj[key] = v; else delete obj[key]; }, { class: "rationale" });
    return el("span", { class: "why" }, el("label", { for: id, text: `Why (${what})` }), input);
  }

  // ---------- weights that keep their sum ----------
  function weightSliders(party, pi) {
    const issues = valuations(party);
    const names = doc.issues.map((i) => i.name).filter((n) => issues[n]);
    const total = names.reduce((s, n) => s + Number(issues[n].weight || 0), 0) || 1;
    const box = el("fieldset", { class: "weights", dataset: { party: party.name } },
      el("legend", { text: `Weights (kept at a sum of ${fmt(total, 3)})` }));
    const sliders = {};
    const numbers = {};
    function show() {
      for (const n of names) {
        sliders[n].value = issues[n].weight;
        numbers[n].textContent = fmt(issues[n].weight, 3);
      }
    }
    function move(name, value) {
      const v = Math.min(Math.max(value, 0), total);
      const others = names.filter((n) => n !== name);
      const rest = others.reduce((s, n) => s + Number(issues[n].weight || 0), 0);
      const left = total - v;
      for (const n of others) {
        issues[n].weight = rest > 0 ? (Number(issues[n].weight) * left) / rest : left / others.length;
      }
      issues[name].weight = v;
      for (const n of names) issues[n].weight = Math.round(issues[n].weight * 1e6) / 1e6;
      show();
    }
    for (const n of names) {
      const issue = doc.issues.find((i) => i.name === n);
      const id = nextId("w");
      const path = `parties.${pi}.preferences.issues.${n}.weight`;
      sliders[n] = el("input", {
        id, type: "range", min: "0", max: String(total), step: "any",
        value: issues[n].weight, dataset: { path, issue: n }, disabled: !canEdit,
        "aria-describedby": `${id}-value`,
      });
      numbers[n] = el("output", { id: `${id}-value`, for: id, text: fmt(issues[n].weight, 3) });
      sliders[n].addEventListener("input", () => { move(n, Number(sliders[n].value)); changed(); });
      box.append(el("div", { class: "weight" },
        el("label", { for: id, text: `${issueLabel(issue)}` }), sliders[n], numbers[n],
        rationale(`parties.${pi}.preferences.issues.${n}.rationale`, issues[n], "rationale", "weight and values")));
    }
    return box;
  }

  function valueTable(party, pi) {
    const issues = valuations(party);
    const box = el("details", { class: "values" }, el("summary", { text: "Values per option and red lines" }));
    for (const issue of doc.issues) {
      const valuation = issues[issue.name];
      if (!valuation) continue;
      const rows = el("tbody");
      const table = el("table", { class: "list" },
        el("caption", { text: issueLabel(issue) }),
        el("thead", {}, el("tr", {}, el("th", { text: "option" }), el("th", { text: "value (0 to 1)" }), el("th", { text: "red line" }))),
        rows);
      if (!valuation.values) {
        box.append(el("p", { class: "note", text: `${issueLabel(issue)}: a value function (edit it in the YAML view).` }));
        continue;
      }
      for (const option of optionsOf(issue)) {
        const name = optionName(option);
        const path = `parties.${pi}.preferences.issues.${issue.name}.values.${name}`;
        const { id, input } = bindNumber(path, () => valuation.values[name], (v) => { valuation.values[name] = v; }, { min: "0", max: "1", class: "value" });
        const redId = nextId("r");
        const red = el("input", {
          id: redId, type: "checkbox", disabled: !canEdit, dataset: { path: `parties.${pi}.red_lines.${issue.name}` },
          checked: ((party.red_lines || {})[issue.name] || []).map(String).includes(name),
        });
        red.addEventListener("change", () => {
          party.red_lines = party.red_lines || {};
          const now = new Set((party.red_lines[issue.name] || []).map(String));
          if (red.checked) now.add(name); else now.delete(name);
          if (now.size) party.red_lines[issue.name] = [...now]; else delete party.red_lines[issue.name];
          if (!Object.keys(party.red_lines).length) delete party.red_lines;
          changed();
        });
        rows.append(el("tr", {},
          el("td", {}, el("label", { for: id, text: optionLabel(issue.name, name) })),
          el("td", {}, input),
          el("td", {}, red, el("label", { for: redId, class: "inline", text: "refuse" }))));
      }
      box.append(table);
    }
    return box;
  }

  function partySection(party, pi) {
    const box = el("fieldset", { class: "party", dataset: { path: `parties.${pi}` } }, el("legend", { text: party.name }));
    const roleId = nextId("role");
    const role = el("select", { id: roleId, disabled: !canEdit, dataset: { path: `parties.${pi}.role` } },
      ...roles.map((r) => el("option", { value: r, text: r, selected: (party.role || "other") === r })));
    role.addEventListener("change", () => { party.role = role.value; changed(); });
    const rv = bindNumber(`parties.${pi}.reservation_value`, () => party.reservation_value, (v) => { party.reservation_value = v; }, { min: "0", max: "1", class: "reservation" });
    box.append(
      el("div", { class: "row" }, el("label", { for: roleId, text: "Role" }), role),
      el("div", { class: "row" }, el("label", { for: rv.id, text: "Reservation value (its best alternative to a deal)" }), rv.input,
        rationale(`parties.${pi}.reservation_rationale`, party, "reservation_rationale", "reservation value")),
    );
    if (valuations(party)) box.append(weightSliders(party, pi), valueTable(party, pi));
    else box.append(el("p", { class: "note", text: "Rule-based preferences: edit them in the YAML view." }));
    return box;
  }

  function issueSection(issue, ii) {
    const box = el("details", { class: "issue", dataset: { path: `issues.${ii}` } }, el("summary", { text: issueLabel(issue) }));
    const label = bindText(`issues.${ii}.label`, () => issue.label, (v) => { issue.label = v; });
    const description = bindText(`issues.${ii}.description`, () => issue.description, (v) => { issue.description = v; });
    box.append(el("div", { class: "row" }, el("label", { for: label.id, text: "Label" }), label.input),
      el("div", { class: "row" }, el("label", { for: description.id, text: "Description" }), description.input));
    optionsOf(issue).forEach((option, oi) => {
      if (typeof option !== "object" || option === null) return;
      const path = `issues.${ii}.options.${oi}`;
      const ol = bindText(`${path}.label`, () => option.label, (v) => { option.label = v; });
      const od = bindText(`${path}.description`, () => option.description, (v) => { option.description = v; });
      const provides = (option.provides || []).map((p) => (typeof p === "object" ? `${p.mechanism}${p.strength !== undefined && p.strength !== 1 ? `:${p.strength}` : ""}` : String(p)));
      const mp = bindText(`${path}.provides`, () => provides.join(", "), (v) => {
        const list = v.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
          const [mechanism, strength] = s.split(":");
          return strength === undefined ? mechanism : { mechanism, strength: Number(strength) };
        });
        if (list.length) option.provides = list; else delete option.provides;
      });
      box.append(el("fieldset", { class: "option" }, el("legend", { text: option.name }),
        el("div", { class: "row" }, el("label", { for: ol.id, text: "Label" }), ol.input),
        el("div", { class: "row" }, el("label", { for: od.id, text: "Description" }), od.input),
        el("div", { class: "row" }, el("label", { for: mp.id, text: "Mechanisms it provides (name or name:strength, comma-separated)" }), mp.input)));
    });
    return box;
  }

  function renderForm() {
    const form = $("form-view");
    form.replaceChildren(
      el("h2", { text: "Parties" }), ...doc.parties.map(partySection),
      el("h2", { text: "Issues and options" }), ...doc.issues.map(issueSection));
  }

  // ---------- field errors, in the CLI's words ----------
  function clearErrors() {
    $("errors").hidden = true;
    $("error-list").replaceChildren();
    for (const n of document.querySelectorAll("[aria-invalid]")) n.removeAttribute("aria-invalid");
    for (const n of document.querySelectorAll(".field-error.at-field")) n.remove();
  }
  function fieldFor(path) {
    let parts = path.split(".");
    while (parts.length) {
      const found = document.querySelector(`[data-path="${CSS.escape(parts.join("."))}"]`);
      if (found) return found;
      parts = parts.slice(0, -1);
    }
    return null;
  }
  function showErrors(body) {
    clearErrors();
    const errors = (body && body.errors) || [{ path: (body && body.field) || "", message: (body && body.detail) || "invalid" }];
    for (const e of errors) {
      const path = (e.path || "").replace(/^document\.?/, "");
      const text = path ? `${path}: ${e.message}` : e.message;
      $("error-list").append(el("li", { text }));
      const field = fieldFor(path);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        const note = el("p", { class: "field-error at-field", role: "alert", text: e.message });
        if (field.tagName === "FIELDSET" || field.tagName === "DETAILS") field.append(note);
        else field.insertAdjacentElement("afterend", note);
      }
    }
    $("errors").hidden = false;
  }

  // ---------- live analysis: the plot's part ----------
  let inFlight = false;
  let pendingSince = null; // performance.now() of the first edit not yet answered
  let survivalTimer = null;
  let survivalAbort = null;
  let lastFast = null;

  function changed(analyse = true) {
    dirty = true;
    const status = canEdit ? "Unsaved changes." : "Edited here only (you may not save).";
    if ($("status").textContent !== status) $("status").textContent = status;
    if (!analyse) return;
    if (pendingSince === null) pendingSince = performance.now();
    cancelSurvival();
    if (!inFlight) sendAnalysis();
  }

  async function sendAnalysis() {
    inFlight = true;
    const since = pendingSince;
    pendingSince = null;
    $("live").setAttribute("aria-busy", "true");
    try {
      const answer = await api("POST", "/api/workbench/analyze", { document: doc, x: axes.x, y: axes.y, seed: 0 });
      if (answer.ok) {
        clearErrors();
        lastFast = answer.data;
        await drawFast(answer.data);
        root.dispatchEvent(new CustomEvent("live:updated", { detail: { since, drawn: performance.now(), key: answer.data.key } }));
        scheduleSurvival();
      } else if (answer.status === 422) {
        showErrors(answer.data);
        root.dispatchEvent(new CustomEvent("live:invalid", { detail: { since } }));
      } else {
        $("status").textContent = `The analysis failed: ${(answer.data && answer.data.detail) || answer.status}`;
      }
    } catch (err) {
      $("status").textContent = `The analysis failed: ${err}`;
    } finally {
      inFlight = false;
      $("live").setAttribute("aria-busy", "false");
      if (pendingSince !== null) sendAnalysis();
    }
  }

  function axisOptions(data) {
    for (const [axis, chosen] of [["axis-x", data.x], ["axis-y", data.y]]) {
      const select = $(axis);
      const names = data.parties;
      if (select.options.length !== names.length || [...select.options].some((o, k) => o.value !== names[k])) {
        select.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
      }
      select.value = chosen;
    }
    axes = { x: data.x, y: data.y };
  }

  function dealText(options) {
    return doc.issues.map((issue, k) => optionLabel(issue.name, optionName(optionsOf(issue)[options[k]] ?? options[k]))).join(" · ");
  }

  // Sections whose content did not change are not rebuilt.
  const shown = {};
  function changedPart(name, value) {
    const text = JSON.stringify(value);
    if (shown[name] === text) return false;
    shown[name] = text;
    return true;
  }

  const TITLES = { nash: "Nash", kalai_smorodinsky: "Kalai-Smorodinsky", egalitarian: "Egalitarian", utilitarian: "Utilitarian" };
  const SYMBOLS = { nash: "star", kalai_smorodinsky: "diamond", egalitarian: "square", utilitarian: "triangle-up" };

  // The plot in two layers. Plotly draws the frame: axes, the parties' alternatives (dashed),
  // the legend, zoom. The deals themselves (the sampled cloud, the Pareto frontier and the
  // solutions) are drawn on a canvas over the plot area, in Plotly's axis ranges. A slider
  // move changes only the deals, so it redraws only the canvas (a few milliseconds); Plotly
  // redraws its frame only when the frame changes (other axes, alternatives or solutions). As
  // SVG markers redrawn by Plotly at every move, the deals took the page some 50 ms an edit
  // (140 frontier points and the cloud, on a laptop's CPU), more than the server's analysis.
  const LOW = -0.02;
  const HIGH = 1.02;
  const CLOUD = [[false, "rgba(154,165,177,0.5)", 2], [true, "rgba(62,189,147,0.75)", 2.5]];
  const FRONTIER = { color: "#1f4e79", radius: 3 };
  const SOLUTION = { color: "#c65d21", outline: "#ffffff", radius: 7 };
  const canvas = el("canvas", { class: "deals", "aria-hidden": "true" });
  const tooltip = el("div", { class: "plot-tip", role: "tooltip", hidden: true });
  let frame = null; // the frame Plotly last drew
  let listening = false;

  // Marker outlines of the solutions' symbols, centred on (0, 0), r the half-width.
  const MARKERS = {
    star(g, r) {
      for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        const d = k % 2 ? r * 0.45 : r * 1.15;
        if (k) g.lineTo(d * Math.cos(a), d * Math.sin(a)); else g.moveTo(d * Math.cos(a), d * Math.sin(a));
      }
    },
    diamond(g, r) { g.moveTo(0, -r * 1.2); g.lineTo(r, 0); g.lineTo(0, r * 1.2); g.lineTo(-r, 0); },
    square(g, r) { g.rect(-r * 0.85, -r * 0.85, 1.7 * r, 1.7 * r); },
    "triangle-up"(g, r) { g.moveTo(0, -r * 1.1); g.lineTo(r, r * 0.8); g.lineTo(-r, r * 0.8); },
  };

  // The plot area in pixels and the data ranges shown (after any zoom), or null before Plotly.
  function area(plot) {
    const full = plot._fullLayout;
    if (!full || !full._size || !full.xaxis || !full.yaxis) return null;
    const size = full._size;
    const [x0, x1] = full.xaxis.range;
    const [y0, y1] = full.yaxis.range;
    return {
      size,
      px: (x) => ((x - x0) / (x1 - x0)) * size.w,
      py: (y) => ((y1 - y) / (y1 - y0)) * size.h,
    };
  }

  // The deals of the answer `data` on the canvas; nothing before Plotly has drawn the frame.
  function drawDeals(plot, data) {
    const at = area(plot);
    if (!at || !data) return;
    const { size, px, py } = at;
    if (canvas.parentNode !== plot) plot.append(canvas);
    const ratio = window.devicePixelRatio || 1;
    Object.assign(canvas.style, { left: `${size.l}px`, top: `${size.t}px`, width: `${size.w}px`, height: `${size.h}px` });
    const width = Math.round(size.w * ratio);
    const height = Math.round(size.h * ratio);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, size.w, size.h);
    g.save();
    g.beginPath();
    g.rect(0, 0, size.w, size.h);
    g.clip();
    const cloud = data.cloud;
    for (const [inside, color, radius] of CLOUD) {
      g.fillStyle = color;
      g.beginPath();
      for (let k = 0; k < cloud.x.length; k++) {
        if (cloud.in_zopa[k] !== inside) continue;
        const x = px(cloud.x[k]);
        const y = py(cloud.y[k]);
        g.moveTo(x + radius, y);
        g.arc(x, y, radius, 0, 2 * Math.PI);
      }
      g.fill();
    }
    g.fillStyle = FRONTIER.color;
    g.beginPath();
    for (let k = 0; k < data.frontier.x.length; k++) {
      const x = px(data.frontier.x[k]);
      const y = py(data.frontier.y[k]);
      g.moveTo(x + FRONTIER.radius, y);
      g.arc(x, y, FRONTIER.radius, 0, 2 * Math.PI);
    }
    g.fill();
    g.fillStyle = SOLUTION.color;
    g.strokeStyle = SOLUTION.outline;
    g.lineWidth = 1;
    for (const [name, s] of Object.entries(data.solutions)) {
      if (!s) continue;
      g.save();
      g.translate(px(s.utilities[data.x]), py(s.utilities[data.y]));
      g.beginPath();
      MARKERS[SYMBOLS[name]](g, SOLUTION.radius);
      g.closePath();
      g.fill();
      g.stroke();
      g.restore();
    }
    g.restore();
  }

  // What the pointer is over: a solution first (they are drawn on top), else a frontier deal.
  function pointed(plot, event) {
    const at = area(plot);
    const data = lastFast;
    if (!at || !data) return null;
    const box = plot.getBoundingClientRect();
    const mx = event.clientX - box.left - at.size.l;
    const my = event.clientY - box.top - at.size.t;
    const near = (x, y, reach) => {
      const d = Math.hypot(at.px(x) - mx, at.py(y) - my);
      return d <= reach ? d : Infinity;
    };
    const where = (x, y) => `(${data.x} ${fmt(x)}, ${data.y} ${fmt(y)})`;
    let best = null;
    let bestD = Infinity;
    for (const [name, s] of Object.entries(data.solutions)) {
      if (!s) continue;
      const d = near(s.utilities[data.x], s.utilities[data.y], SOLUTION.radius + 3);
      if (d < bestD) {
        bestD = d;
        const deal = Object.entries(s.deal).map(([i, o]) => optionLabel(i, o)).join(" · ");
        best = { text: `${TITLES[name]} ${where(s.utilities[data.x], s.utilities[data.y])}: ${deal}`, x: mx, y: my };
      }
    }
    if (best) return best;
    for (let k = 0; k < data.frontier.x.length; k++) {
      const d = near(data.frontier.x[k], data.frontier.y[k], FRONTIER.radius + 4);
      if (d < bestD) { bestD = d; best = { index: k, x: mx, y: my }; }
    }
    if (best) {
      const k = best.index;
      best.text = `Pareto frontier ${where(data.frontier.x[k], data.frontier.y[k])}: ${dealText(data.frontier.options[k])}`;
    }
    return best;
  }

  function showTip(plot, event) {
    const found = pointed(plot, event);
    if (!found) { tooltip.hidden = true; return; }
    if (tooltip.parentNode !== plot) plot.append(tooltip);
    const size = plot._fullLayout._size;
    tooltip.textContent = found.text;
    // beside the pointer, on the side of the plot with more room
    const right = found.x > size.w / 2;
    tooltip.style.left = right ? "auto" : `${size.l + found.x + 12}px`;
    tooltip.style.right = right ? `${plot.clientWidth - size.l - found.x + 12}px` : "auto";
    tooltip.style.top = `${size.t + found.y + 12}px`;
    tooltip.hidden = false;
  }

  function listen(plot) {
    if (listening || typeof plot.on !== "function") return;
    listening = true;
    // zoom, pan, a double click's reset and a resize move the frame: draw the deals again
    plot.on("plotly_relayout", () => drawDeals(plot, lastFast));
    plot.addEventListener("mousemove", (event) => showTip(plot, event));
    plot.addEventListener("mouseleave", () => { tooltip.hidden = true; });
  }

  // Plotly's part: axes, alternatives and a legend entry per kind of mark (no data of its own).
  async function drawFrame(plot, data) {
    const rx = data.reservation[data.x];
    const ry = data.reservation[data.y];
    const present = Object.keys(data.solutions).filter((name) => data.solutions[name]);
    const key = JSON.stringify([data.x, data.y, rx, ry, present]);
    if (key === frame) return;
    const legend = (name, marker) => ({ type: "scatter", mode: "markers", name, x: [null], y: [null], hoverinfo: "skip", marker });
    const traces = [
      legend("outside the ZOPA", { size: 6, color: "#9aa5b1" }),
      legend("in the ZOPA", { size: 6, color: "#3ebd93" }),
      legend("Pareto frontier", { size: 6, color: FRONTIER.color }),
      ...present.map((name) => legend(TITLES[name], { size: 14, symbol: SYMBOLS[name], color: SOLUTION.color })),
    ];
    const layout = {
      xaxis: { title: { text: `utility of ${data.x}` }, range: [LOW, HIGH] },
      yaxis: { title: { text: `utility of ${data.y}` }, range: [LOW, HIGH] },
      shapes: [
        { type: "line", x0: rx, x1: rx, y0: 0, y1: 1, line: { dash: "dash", color: "#8d2b0b" } },
        { type: "line", x0: 0, x1: 1, y0: ry, y1: ry, line: { dash: "dash", color: "#8d2b0b" } },
      ],
      hovermode: false,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      margin: { l: 55, r: 10, t: 10, b: 45 }, height: 420, legend: { orientation: "h", y: -0.2 },
      uirevision: `${data.x}|${data.y}`,
    };
    await window.Plotly.react(plot, traces, layout, { displayModeBar: false, responsive: true });
    frame = key;
    listen(plot);
  }

  async function drawFast(data) {
    axisOptions(data);
    const z = data.zopa;
    const size = z.exact ? `${z.count.toLocaleString("en")} deals (${(100 * z.fraction).toFixed(2)}%)` : `about ${Math.round(z.count).toLocaleString("en")} deals (estimate)`;
    $("zopa").textContent = `ZOPA: ${size} of ${data.outcome_count.toLocaleString("en")} acceptable to every party; ${z.feasible_count.toLocaleString("en")} cross no red line. Pareto frontier: ${data.frontier.x.length} deals.`;
    if (window.Plotly) {
      const plot = $("plot");
      await drawFrame(plot, data);
      drawDeals(plot, data);
      if (!tooltip.hidden) tooltip.hidden = true;
    }
    drawSolutions(data, null);
    if (changedPart("sweeteners", data.sweeteners)) drawSweeteners(data, null);
    if (changedPart("talking", data.talking_points)) drawTalkingPoints(data);
    update($("recommended"), el("p", { class: "note", text: "Survival is computed once the edits pause…" }));
  }

  function drawSolutions(data, survival) {
    const parties = data.parties;
    const head = el("tr", {}, el("th", { text: "solution" }), ...parties.map((p) => el("th", { text: p })),
      survival ? el("th", { text: "holds at one year" }) : null);
    const rows = Object.entries(data.solutions).map(([name, s]) => {
      if (!s) return el("tr", {}, el("td", { text: TITLES[name] }), el("td", { colspan: parties.length, text: "no deal in the ZOPA" }));
      const held = survival && survival.solutions[name];
      return el("tr", { dataset: { solution: name } }, el("th", { scope: "row", text: TITLES[name] }),
        ...parties.map((p) => el("td", { class: "num", text: `${fmt(s.utilities[p])} (${s.gains[p] >= 0 ? "+" : ""}${fmt(s.gains[p])})` })),
        held ? el("td", { class: "num", text: `${pct(held.survival_1y)}${held.fragile ? " (fragile)" : ""}` }) : null);
    });
    const nash = data.solutions.nash;
    update($("solutions"),
      el("table", { class: "list" }, el("caption", { text: "utility (gain over the alternative)" }), el("thead", {}, head), el("tbody", {}, ...rows)),
      nash ? el("p", { id: "nash-deal", class: "deal", text: `Nash deal: ${Object.entries(nash.deal).map(([i, o]) => `${issueLabel(doc.issues.find((x) => x.name === i) || { name: i })}: ${optionLabel(i, o)}`).join("; ")}` }) : null);
  }

  function drawSweeteners(data, survival) {
    const box = $("sweeteners");
    if (!data.sweeteners) { box.replaceChildren(el("p", { class: "note", text: "No reference deal: no sweeteners." })); return; }
    const parts = [];
    for (const [party, found] of Object.entries(data.sweeteners)) {
      const ranked = survival && survival.sweeteners[party];
      parts.push(el("p", { text: (survival && survival.headlines[party]) || found.headline }));
      const items = ranked
        ? ranked.map((r) => el("li", { text: `${r.sentence} Holds at one year: ${pct(r.survival_1y)}${r.fragile ? " (fragile)" : ""}.` }))
        : found.sweeteners.map((s) => el("li", { text: s.sentence }));
      parts.push(items.length ? el("ul", {}, ...items) : el("p", { class: "note", text: "none" }));
    }
    update(box, ...parts);
  }

  function drawTalkingPoints(data) {
    $("talking-points").replaceChildren(...data.talking_points.map((tp) => el("details", {},
      el("summary", { text: `${tp.party}: ${tp.summary}` }), el("ul", {}, ...tp.points.map((p) => el("li", { text: p }))))));
  }

  // ---------- live analysis: survival, once the edits pause ----------
  function cancelSurvival() {
    clearTimeout(survivalTimer);
    if (survivalAbort) survivalAbort.abort();
    survivalAbort = null;
  }
  function scheduleSurvival() {
    cancelSurvival();
    survivalTimer = setTimeout(fetchSurvival, SURVIVAL_PAUSE_MS);
  }
  async function fetchSurvival() {
    const asked = lastFast;
    survivalAbort = new AbortController();
    try {
      const response = await fetch("/api/workbench/analyze/survival", {
        method: "POST", signal: survivalAbort.signal, credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ document: doc, seed: 0 }),
      });
      if (response.status !== 200) return;
      const survival = await response.json();
      if (!lastFast || survival.key !== asked.key || lastFast.key !== asked.key) return;
      drawSolutions(lastFast, survival);
      drawSweeteners(lastFast, survival);
      shown.sweeteners = null; // the next plot's part redraws them without survival
      drawRecommended(lastFast, survival);
      root.dispatchEvent(new CustomEvent("live:survival", { detail: { key: survival.key } }));
    } catch (err) {
      if (err.name !== "AbortError") $("status").textContent = `Survival failed: ${err}`;
    }
  }
  function drawRecommended(data, survival) {
    const r = survival.recommended;
    if (!r) { $("recommended").replaceChildren(el("p", { text: "No deal put forward is acceptable to every party." })); return; }
    const rows = data.parties.map((p) => el("tr", {}, el("th", { scope: "row", text: p }), el("td", { class: "num", text: fmt(r.utilities[p]) }),
      el("td", { class: `num${r.margins[p] < survival.fragile_margin ? " thin" : ""}`, text: `${r.margins[p] >= 0 ? "+" : ""}${fmt(r.margins[p])}` })));
    update($("recommended"),
      el("p", { id: "recommended-deal", text: `${r.description} (from: ${TITLES[r.from] || r.from}). It holds at one year in ${pct(r.survival_1y)} (±${pct(r.survival_1y_se)}) of simulated futures; the worst-off party gets ${Math.round(100 * r.fairness)}% of the gain it could get in the ZOPA.` }),
      el("table", { class: "list" }, el("caption", { text: "each party's margin over its alternative" }),
        el("thead", {}, el("tr", {}, el("th", { text: "party" }), el("th", { text: "utility" }), el("th", { text: "margin" }))), el("tbody", {}, ...rows)),
      el("p", { class: "note", text: `Durability model: ${survival.paths.toLocaleString("en")} paths, seed ${survival.seed}. ${survival.reference}` }));
  }

  window.addEventListener("resize", () => {
    if (lastFast) setTimeout(() => drawDeals($("plot"), lastFast), 100);
  });

  // ---------- axes ----------
  for (const axis of ["axis-x", "axis-y"]) {
    $(axis).addEventListener("change", () => {
      const x = $("axis-x").value;
      let y = $("axis-y").value;
      if (x === y) y = [...$("axis-y").options].map((o) => o.value).find((n) => n !== x);
      axes = { x, y };
      if (pendingSince === null) pendingSince = performance.now();
      if (!inFlight) sendAnalysis();
    });
  }

  // ---------- the YAML view ----------
  async function showView(yaml) {
    $("view-form").setAttribute("aria-pressed", String(!yaml));
    $("view-yaml").setAttribute("aria-pressed", String(yaml));
    $("form-view").hidden = yaml;
    $("yaml-view").hidden = !yaml;
    if (yaml) {
      const answer = await api("POST", "/api/workbench/documents/yaml", { document: doc });
      if (answer.ok) $("yaml-text").value = answer.data.text;
    } else {
      renderForm();
    }
  }
  $("view-form").addEventListener("click", () => showView(false));
  $("view-yaml").addEventListener("click", () => showView(true));
  if ($("yaml-apply")) {
    $("yaml-apply").addEventListener("click", async () => {
      const answer = await api("POST", "/api/workbench/documents/parse", { text: $("yaml-text").value });
      const note = $("yaml-error");
      if (!answer.ok) {
        const d = answer.data || {};
        note.textContent = `${d.line ? `line ${d.line}: ` : ""}${d.detail || "the YAML cannot be read"}`;
        note.hidden = false;
        return;
      }
      note.hidden = true;
      doc = answer.data.document;
      changed();
    });
  }

  // ---------- saving, and a conflict ----------
  async function save(base) {
    const message = $("save-message").value;
    $("status").textContent = "Saving…";
    const answer = await api("PUT", `/api/workbench/scenarios/${scenarioId}`, { document: doc, base_version: base, message });
    if (answer.ok) {
      baseVersion = answer.data.version;
      dirty = false;
      $("version").textContent = String(baseVersion);
      $("conflict").hidden = true;
      $("status").textContent = `Saved as version ${baseVersion}.`;
      clearErrors();
    } else if (answer.status === 409) {
      const d = answer.data || {};
      $("conflict-text").textContent = `${d.saved_by || "Someone"} saved version ${d.current_version} since you loaded version ${base}${d.saved_at ? ` (at ${d.saved_at})` : ""}. Your edits are not saved.`;
      $("conflict").dataset.current = String(d.current_version || "");
      $("conflict").hidden = false;
      $("status").textContent = "Not saved: someone else saved first.";
    } else if (answer.status === 422) {
      showErrors(answer.data);
      $("status").textContent = "Not saved: the scenario is not valid.";
    } else {
      $("status").textContent = `Not saved: ${(answer.data && answer.data.detail) || answer.status}`;
    }
  }
  if ($("save")) {
    $("save").addEventListener("click", () => save(baseVersion));
    $("conflict-overwrite").addEventListener("click", () => save(Number($("conflict").dataset.current)));
    $("conflict-load").addEventListener("click", async () => {
      const answer = await api("GET", `/api/workbench/scenarios/${scenarioId}`);
      if (!answer.ok) return;
      doc = answer.data.document;
      baseVersion = answer.data.version;
      $("version").textContent = String(baseVersion);
      $("conflict").hidden = true;
      dirty = false;
      $("status").textContent = `Loaded version ${baseVersion}.`;
      renderForm();
      changed();
      dirty = false;
    });
  }
  window.addEventListener("beforeunload", (event) => { if (dirty && canEdit) event.preventDefault(); });

  renderForm();
  pendingSince = performance.now();
  sendAnalysis();
})();
