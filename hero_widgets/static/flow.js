// The live flow view: job cards on an SVG canvas, laid out by the kernel.
//
// The model carries the layout (`graph`), the state styles (`palette`), and a
// snapshot of the flow (`header`, `jobs`, `version`). Between snapshots the kernel
// sends "patch" messages with the entries of the jobs that changed. Both feed one
// store per model, so every view of the model shows the same state, and a view
// opened late starts from everything received so far.

const SVG = "http://www.w3.org/2000/svg";
const FINAL = new Set(["finished", "error", "timeout", "cancelled", "skipped"]);
const ZOOM_STEP = 1.25;
// Columns with at least this many jobs can be collapsed into one group card.
const GROUPABLE = 8;
const MIN_SCALE = 0.05;
// Fitting a flow on its own goes no smaller than this, so that names stay readable.
// The fit button shows the whole flow at any scale.
const READABLE_SCALE = 0.4;
const MAX_SCALE = 4;
// Bounds of the canvas height in pixels; between them it fits the flow at scale 1.
const MIN_HEIGHT = 180;
const MAX_HEIGHT = 520;

// One store per widget, keyed by its `key` trait: the model object that anywidget
// passes to initialize is not the one it passes to render.
const stores = new Map();

function makeStore(model) {
  const graph = model.get("graph");
  return {
    header: model.get("header"),
    jobs: { ...model.get("jobs") },
    version: model.get("version"),
    patches: 0,
    listeners: new Set(),
    // View settings shared by the views of one model, so a view that replaces
    // another keeps the selection, the collapsed columns and the zoom.
    ui: { selected: null, collapsed: new Set(graph.collapsed), transform: null },
  };
}

function notify(store, names) {
  for (const listener of store.listeners) listener(names);
}

function initialize({ model }) {
  const store = makeStore(model);
  const key = model.get("key");
  stores.set(key, store);
  const onSnapshot = () => {
    const version = model.get("version");
    if (version < store.version) return;
    store.version = version;
    store.header = model.get("header");
    store.jobs = { ...model.get("jobs") };
    notify(store, null);
  };
  const onMessage = (message) => {
    if (!message || message.type !== "patch" || message.version <= store.version) {
      return;
    }
    store.version = message.version;
    store.patches += 1;
    if (message.header) store.header = message.header;
    Object.assign(store.jobs, message.jobs);
    notify(store, Object.keys(message.jobs));
  };
  model.on("change:version", onSnapshot);
  model.on("msg:custom", onMessage);
  return () => {
    model.off("change:version", onSnapshot);
    model.off("msg:custom", onMessage);
    stores.delete(key);
  };
}

function node(tag, attributes = {}, parent = null, text = null) {
  const element = tag.startsWith("svg:")
    ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  if (text !== null) element.textContent = text;
  if (parent) parent.appendChild(element);
  return element;
}

function clip(text, limit) {
  return text.length <= limit ? text : text.slice(0, limit - 1) + "…";
}

function formatDuration(seconds) {
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function formatTime(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleTimeString() : "–";
}

class FlowView {
  constructor(model, el, store) {
    this.model = model;
    this.store = store;
    this.graph = model.get("graph");
    this.palette = model.get("palette");
    this.cards = new Map();
    this.groups = new Map();
    this.edges = [];
    this.pending = new Set();
    this.refreshAll = false;
    this.frame = 0;
    this.clockOffset = 0;
    // Until the person pans or zooms, the view refits once its size is known.
    this.autoFit = store.ui.transform === null;
    // Set by the fit button: refits then show the whole flow, however small.
    this.fitWhole = false;
    this.build(el);
    this.update(null);
    this.fit(this.autoFit);
  }

  look(state) {
    return this.palette.styles[state] || this.palette.unknown;
  }

  now() {
    return Date.now() / 1000 - this.clockOffset;
  }

  build(el) {
    this.root = node("div", { class: "hero-flow" }, el);
    const header = node("div", { class: "hero-flow__header" }, this.root);
    const titles = node("div", { class: "hero-flow__titles" }, header);
    this.title = node("div", { class: "hero-flow__title" }, titles);
    this.subtitle = node("div", { class: "hero-flow__subtitle" }, titles);
    this.counts = node("div", { class: "hero-flow__counts" }, header);
    this.progress = node("div", { class: "hero-flow__progress", role: "progressbar" }, this.root);

    const body = node("div", { class: "hero-flow__body" }, this.root);
    this.canvas = node("div", { class: "hero-flow__canvas" }, body);
    const height = Math.min(Math.max(this.graph.height + 24, MIN_HEIGHT), MAX_HEIGHT);
    this.canvas.style.height = `${height}px`;
    this.svg = node("svg:svg", { class: "hero-flow__svg" }, this.canvas);
    this.viewport = node("svg:g", {}, this.svg);
    this.edgeLayer = node("svg:g", { class: "hero-flow__edges" }, this.viewport);
    this.cardLayer = node("svg:g", { class: "hero-flow__cards" }, this.viewport);
    const toolbar = node("div", { class: "hero-flow__toolbar" }, this.canvas);
    for (const [label, title, action] of [
      ["+", "Zoom in", () => this.zoomBy(ZOOM_STEP)],
      ["−", "Zoom out", () => this.zoomBy(1 / ZOOM_STEP)],
      ["⤢", "Fit the flow in view", () => {
        this.fitWhole = true;
        this.autoFit = true;
        this.fit(true);
      }],
    ]) {
      const button = node("button", { type: "button", title, "aria-label": title }, toolbar, label);
      button.addEventListener("click", action);
    }
    this.panel = node("aside", { class: "hero-flow__panel", hidden: "" }, body);
    this.legend = node("div", { class: "hero-flow__legend" }, this.root);
    for (const state of this.palette.order) {
      const look = this.look(state);
      const item = node("span", { class: "hero-flow__legend-item", "data-state": state }, this.legend);
      node("span", { class: "hero-flow__icon", style: `color:${look.colour}` }, item, look.icon);
      node("span", {}, item, look.label);
    }

    this.buildEdges();
    this.buildCards();
    this.buildGroups();
    this.layoutEdges();
    this.bindPanZoom();
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.select(null);
    });
  }

  buildCards() {
    const { width, height } = this.graph.card;
    for (const card of this.graph.cards) {
      const group = node("svg:g", {
        class: "hero-card",
        "data-job": card.name,
        transform: `translate(${card.x} ${card.y})`,
        tabindex: "0",
        role: "button",
      }, this.cardLayer);
      const parts = {
        group,
        background: node("svg:rect", { class: "hero-card__background", width, height, rx: 8 }, group),
        stripe: node("svg:rect", { class: "hero-card__stripe", width: 5, height, rx: 2 }, group),
        icon: node("svg:text", { class: "hero-card__icon", x: 16, y: 20 }, group),
        name: node("svg:text", { class: "hero-card__name", x: 34, y: 20 }, group, clip(card.name, 20)),
        where: node("svg:text", { class: "hero-card__where", x: 16, y: 36 }, group),
        status: node("svg:text", { class: "hero-card__status", x: 16, y: 50 }, group),
        tooltip: node("svg:title", {}, group),
        column: card.column,
      };
      group.addEventListener("click", () => this.select(card.name));
      group.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          this.select(card.name);
        }
      });
      this.cards.set(card.name, parts);
    }
  }

  buildGroups() {
    const { width, height } = this.graph.card;
    this.graph.columns.forEach((members, column) => {
      if (members.length < GROUPABLE) return;
      const first = this.graph.cards[members[0]];
      const y = (this.graph.height - height) / 2;
      const group = node("svg:g", {
        class: "hero-group",
        "data-column": String(column),
        transform: `translate(${first.x} ${y})`,
        tabindex: "0",
        role: "button",
      }, this.cardLayer);
      node("svg:rect", { class: "hero-group__background", width, height, rx: 8 }, group);
      const title = node("svg:text", { class: "hero-card__name", x: 12, y: 20 }, group);
      const counts = node("svg:text", { class: "hero-card__where", x: 12, y: 36 }, group);
      const bar = node("svg:g", { transform: "translate(12 44)" }, group);
      node("svg:title", {}, group, "Show the jobs of this column");
      // Above an expanded column, a label collapses it again.
      const label = node("svg:text", {
        class: "hero-group__label",
        "data-column": String(column),
        x: first.x + 4,
        y: first.y - 6,
        tabindex: "0",
        role: "button",
      }, this.cardLayer, `▾ ${members.length} jobs: collapse`);
      const toggle = () => this.toggleColumn(column);
      for (const target of [group, label]) {
        target.addEventListener("click", toggle);
        target.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            toggle();
          }
        });
      }
      this.groups.set(column, { group, label, title, counts, bar, members, y });
    });
  }

  buildEdges() {
    for (const [source, target] of this.graph.edges) {
      const path = node("svg:path", { class: "hero-edge" }, this.edgeLayer);
      this.edges.push({ source, target, path });
    }
  }

  anchor(index) {
    const card = this.graph.cards[index];
    const group = this.groups.get(card.column);
    if (group && this.store.ui.collapsed.has(card.column)) return [card.x, group.y];
    return [card.x, card.y];
  }

  layoutEdges() {
    const { width, height } = this.graph.card;
    for (const edge of this.edges) {
      const [x1, top1] = this.anchor(edge.source);
      const [x2, top2] = this.anchor(edge.target);
      const start = [x1 + width, top1 + height / 2];
      const end = [x2, top2 + height / 2];
      const bend = Math.max((end[0] - start[0]) / 2, 16);
      edge.path.setAttribute(
        "d",
        `M${start[0]} ${start[1]} C${start[0] + bend} ${start[1]} ` +
          `${end[0] - bend} ${end[1]} ${end[0]} ${end[1]}`,
      );
    }
    for (const parts of this.cards.values()) {
      const hidden = this.groups.has(parts.column) && this.store.ui.collapsed.has(parts.column);
      parts.group.style.display = hidden ? "none" : "";
    }
    for (const [column, group] of this.groups) {
      const collapsed = this.store.ui.collapsed.has(column);
      group.group.style.display = collapsed ? "" : "none";
      group.label.style.display = collapsed ? "none" : "";
    }
  }

  toggleColumn(column) {
    const collapsed = this.store.ui.collapsed;
    if (collapsed.has(column)) collapsed.delete(column);
    else collapsed.add(column);
    this.layoutEdges();
    this.updateGroups();
    this.highlight();
    if (this.autoFit) this.fit(true);
  }

  bindPanZoom() {
    let drag = null;
    this.svg.addEventListener("wheel", (event) => {
      // A plain wheel scrolls the notebook; with Ctrl or Cmd (and a trackpad's
      // pinch, which browsers report so) it zooms the flow.
      if (!event.ctrlKey && !event.metaKey) return;
      event.preventDefault();
      const box = this.svg.getBoundingClientRect();
      const factor = Math.exp(-event.deltaY * 0.0015);
      this.zoomBy(factor, event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest(".hero-card, .hero-group")) return;
      drag = { x: event.clientX, y: event.clientY, start: { ...this.store.ui.transform } };
      this.svg.setPointerCapture(event.pointerId);
      this.svg.classList.add("hero-flow__svg--dragging");
    });
    this.svg.addEventListener("pointermove", (event) => {
      if (!drag) return;
      this.setTransform({
        ...drag.start,
        x: drag.start.x + event.clientX - drag.x,
        y: drag.start.y + event.clientY - drag.y,
      });
    });
    const stop = () => {
      drag = null;
      this.svg.classList.remove("hero-flow__svg--dragging");
    };
    this.svg.addEventListener("pointerup", stop);
    this.svg.addEventListener("pointercancel", stop);
  }

  setTransform(transform, byPerson = true) {
    if (byPerson) this.autoFit = false;
    this.store.ui.transform = transform;
    this.viewport.setAttribute(
      "transform",
      `translate(${transform.x} ${transform.y}) scale(${transform.scale})`,
    );
  }

  zoomBy(factor, cx = null, cy = null) {
    const current = this.store.ui.transform;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, current.scale * factor));
    const box = this.svg.getBoundingClientRect();
    const px = cx ?? box.width / 2;
    const py = cy ?? box.height / 2;
    const ratio = scale / current.scale;
    this.setTransform({
      scale,
      x: px - (px - current.x) * ratio,
      y: py - (py - current.y) * ratio,
    });
  }

  fit(reset, whole = this.fitWhole) {
    if (!reset && this.store.ui.transform) {
      this.setTransform(this.store.ui.transform);
      return;
    }
    // The canvas may not be in the page yet, so fall back to its CSS size.
    const width = this.canvas.clientWidth || 640;
    const height = this.canvas.clientHeight || 360;
    const bounds = this.visibleBounds();
    const scale = Math.min(1, (width - 16) / bounds.width, (height - 16) / bounds.height);
    const bounded = Math.max(whole ? MIN_SCALE : READABLE_SCALE, scale);
    this.setTransform(
      {
        scale: bounded,
        x: Math.max(8, (width - bounds.width * bounded) / 2) - bounds.x * bounded,
        y: Math.max(8, (height - bounds.height * bounded) / 2) - bounds.y * bounded,
      },
      false,
    );
  }

  visibleBounds() {
    // A collapsed column shows one group card, so it takes the room of one card.
    const { width, height } = this.graph.card;
    const margin = 16;
    let left = Infinity;
    let top = Infinity;
    let right = -Infinity;
    let bottom = -Infinity;
    this.graph.cards.forEach((_card, index) => {
      const [x, y] = this.anchor(index);
      left = Math.min(left, x);
      top = Math.min(top, y);
      right = Math.max(right, x + width);
      bottom = Math.max(bottom, y + height);
    });
    if (left === Infinity) return { x: 0, y: 0, width: this.graph.width, height: this.graph.height };
    return {
      x: left - margin,
      y: top - margin,
      width: right - left + 2 * margin,
      height: bottom - top + 2 * margin,
    };
  }

  schedule(names) {
    if (names === null) this.refreshAll = true;
    else for (const name of names) this.pending.add(name);
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        const names = this.refreshAll ? null : [...this.pending];
        this.refreshAll = false;
        this.pending.clear();
        this.update(names);
      });
    }
  }

  update(names) {
    const store = this.store;
    if (store.header && store.header.time) {
      this.clockOffset = Date.now() / 1000 - store.header.time;
    }
    const changed = names === null ? Object.keys(store.jobs) : names;
    for (const name of changed) this.updateCard(name);
    this.updateHeader();
    this.updateGroups();
    this.root.dataset.version = String(store.version);
    this.root.dataset.patches = String(store.patches);
    if (store.ui.selected && (names === null || names.includes(store.ui.selected))) {
      this.renderPanel();
    }
  }

  elapsed(entry) {
    if (!entry.started) return null;
    const end = entry.finished || (FINAL.has(entry.state) ? entry.started : this.now());
    return Math.max(end - entry.started, 0);
  }

  updateCard(name) {
    const parts = this.cards.get(name);
    const entry = this.store.jobs[name];
    if (!parts || !entry) return;
    const look = this.look(entry.state);
    parts.group.dataset.state = entry.state;
    parts.group.setAttribute("aria-label", `${name}: ${look.label}`);
    parts.background.style.fill = look.tint;
    parts.stripe.style.fill = look.colour;
    parts.icon.style.fill = look.colour;
    parts.icon.textContent = look.icon;
    parts.status.style.fill = look.colour;
    const where = entry.runner + (entry.node ? ` · ${entry.node}` : "");
    parts.where.textContent = clip(where, 26);
    const seconds = this.elapsed(entry);
    const tries = entry.tries > 1 ? ` · try ${entry.tries}` : "";
    parts.status.textContent =
      look.label + (seconds === null ? "" : ` · ${formatDuration(seconds)}`) + tries;
    parts.tooltip.textContent = `${name}: ${look.label}` + (entry.error ? `\n${entry.error}` : "");
  }

  counted() {
    const counts = {};
    for (const entry of Object.values(this.store.jobs)) {
      counts[entry.state] = (counts[entry.state] || 0) + 1;
    }
    return counts;
  }

  updateHeader() {
    const header = this.store.header;
    const counts = this.counted();
    const total = header.total || Object.keys(this.store.jobs).length;
    this.title.textContent = `${header.name}`;
    this.title.title = header.id;
    const run = header.run > 1 ? ` · run ${header.run}` : "";
    let took = "";
    if (header.started) {
      const end = header.finished || this.now();
      took = ` · ${formatDuration(Math.max(end - header.started, 0))}`;
    }
    this.subtitle.textContent = `${header.id}${run} · ${header.state}${took}`;
    this.root.dataset.flowState = header.state;

    this.counts.replaceChildren();
    for (const state of this.palette.order) {
      if (!counts[state]) continue;
      const look = this.look(state);
      const chip = node("span", { class: "hero-flow__count", "data-state": state }, this.counts);
      node("span", { class: "hero-flow__icon", style: `color:${look.colour}` }, chip, look.icon);
      node("span", { class: "hero-flow__count-value" }, chip, String(counts[state]));
      node("span", {}, chip, look.label);
    }

    this.progress.replaceChildren();
    const done = Object.entries(counts)
      .filter(([state]) => FINAL.has(state))
      .reduce((sum, [, count]) => sum + count, 0);
    this.progress.setAttribute("aria-valuemin", "0");
    this.progress.setAttribute("aria-valuemax", String(total));
    this.progress.setAttribute("aria-valuenow", String(done));
    for (const state of this.palette.order) {
      if (!counts[state] || state === "pending") continue;
      node("span", {
        class: "hero-flow__segment",
        "data-state": state,
        style: `width:${(100 * counts[state]) / total}%;background:${this.look(state).colour}`,
      }, this.progress);
    }
  }

  updateGroups() {
    for (const [column, group] of this.groups) {
      if (!this.store.ui.collapsed.has(column)) continue;
      const counts = {};
      for (const index of group.members) {
        const state = this.store.jobs[this.graph.cards[index].name]?.state || "pending";
        counts[state] = (counts[state] || 0) + 1;
      }
      group.title.textContent = `${group.members.length} jobs`;
      group.counts.textContent = clip(
        this.palette.order
          .filter((state) => counts[state])
          .map((state) => `${counts[state]} ${state}`)
          .join(", "),
        30,
      );
      group.bar.replaceChildren();
      let x = 0;
      const width = this.graph.card.width - 24;
      for (const state of this.palette.order) {
        if (!counts[state]) continue;
        const length = (width * counts[state]) / group.members.length;
        node("svg:rect", { x, width: length, height: 5, fill: this.look(state).colour }, group.bar);
        x += length;
      }
    }
  }

  select(name) {
    this.store.ui.selected = name;
    for (const [cardName, parts] of this.cards) {
      parts.group.classList.toggle("hero-card--selected", cardName === name);
    }
    this.highlight();
    this.panel.hidden = name === null;
    if (name !== null) this.renderPanel();
    // The panel takes room from the canvas, so a view that follows the flow refits.
    if (this.autoFit) this.fit(true);
  }

  highlight() {
    const index = this.graph.cards.findIndex((card) => card.name === this.store.ui.selected);
    for (const edge of this.edges) {
      const linked = index >= 0 && (edge.source === index || edge.target === index);
      edge.path.classList.toggle("hero-edge--linked", linked);
    }
  }

  renderPanel() {
    const name = this.store.ui.selected;
    const entry = this.store.jobs[name];
    if (!entry) return;
    const look = this.look(entry.state);
    const panel = this.panel;
    panel.replaceChildren();
    panel.dataset.job = name;
    panel.dataset.state = entry.state;
    const head = node("div", { class: "hero-panel__head" }, panel);
    node("span", { class: "hero-flow__icon", style: `color:${look.colour}` }, head, look.icon);
    node("strong", { class: "hero-panel__name" }, head, name);
    const close = node("button", { type: "button", class: "hero-panel__close", "aria-label": "Close" }, head, "×");
    close.addEventListener("click", () => this.select(null));

    const facts = node("dl", { class: "hero-panel__facts" }, panel);
    const seconds = this.elapsed(entry);
    for (const [term, value] of [
      ["state", look.label],
      ["runner", entry.runner],
      ["node", entry.node || "–"],
      ["tries", String(entry.tries)],
      ["started", formatTime(entry.started)],
      ["finished", formatTime(entry.finished)],
      [FINAL.has(entry.state) ? "took" : "running for", seconds === null ? "–" : formatDuration(seconds)],
    ]) {
      node("dt", {}, facts, term);
      node("dd", { "data-field": term }, facts, value);
    }
    if (entry.error) {
      node("div", { class: "hero-panel__label" }, panel, "error");
      node("pre", { class: "hero-panel__error" }, panel, entry.error);
    }
    if (entry.result !== null && entry.result !== undefined) {
      node("div", { class: "hero-panel__label" }, panel, "result");
      node("pre", { class: "hero-panel__result" }, panel, entry.result);
    }
    const kept = entry.output.length;
    const label = kept < entry.lines ? `output (last ${kept} of ${entry.lines} lines)` : "output";
    node("div", { class: "hero-panel__label" }, panel, label);
    const output = node("pre", { class: "hero-panel__output" }, panel, entry.output.join("\n") || "no output");
    output.scrollTop = output.scrollHeight;
  }

  tick() {
    // Running jobs and the flow's elapsed time move on between updates.
    for (const [name, entry] of Object.entries(this.store.jobs)) {
      if (entry.state === "running") this.updateCard(name);
    }
    if (!FINAL.has(this.store.header.state) && this.store.header.state !== "created") {
      this.updateHeader();
    }
    const selected = this.store.jobs[this.store.ui.selected];
    if (selected && selected.state === "running") this.renderPanel();
  }
}

function render({ model, el }) {
  // A front end that does not call initialize gets the model's listeners here.
  const release = stores.has(model.get("key")) ? null : initialize({ model });
  const store = stores.get(model.get("key"));
  const view = new FlowView(model, el, store);
  const listener = (names) => view.schedule(names);
  store.listeners.add(listener);
  const clock = setInterval(() => view.tick(), 1000);
  requestAnimationFrame(() => {
    if (view.autoFit) view.fit(true);
  });
  return () => {
    store.listeners.delete(listener);
    clearInterval(clock);
    if (view.frame) cancelAnimationFrame(view.frame);
    if (release) release();
  };
}

export default { initialize, render };
