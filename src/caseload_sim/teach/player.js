/* caseload_sim's player: one team's caseloads, live, from the event log.
 *
 * Plain JavaScript, no libraries and no network: it runs from file:// on a classroom PC.
 * The data is the payload of caseload_sim.teach.animation (one per panel). Each panel keeps
 * a small state machine over its events (World); the clock is shared by the panels, so two
 * runs of the same people under different rules play side by side.
 *
 *   const player = CaseloadPlayer.mount(element, [payload, ...], {labels: [...], title: "..."});
 *   player.play(); player.pause(); player.seek(day); player.stepWeek(); player.state(0);
 */
(function () {
  "use strict";

  // Okabe-Ito colours: distinguishable for colour-blind readers.
  const STEP_COLOURS = ["#8c8c8c", "#E69F00", "#56B4E9", "#0072B2", "#CC79A7", "#009E73"];
  const EXIT_COLOURS = ["#009E73", "#7fcdb6", "#56B4E9", "#999999", "#D55E00", "#CC79A7", "#b36b00", "#bbbbbb", "#dddddd"];
  const K = {REF: 0, QUEUE: 1, INTAKE: 2, STEP: 3, JOB: 4, JOB_END: 5, HANDOVER: 6, SICK: 7, EXIT: 8,
             POST_START: 9, POST_LEAVE: 10, ABSENCE: 11, POST_CLOSED: 12};
  const WAITING = 0, GONE = -2;
  const SPEEDS = [[7, "1 week / s"], [14, "2 weeks / s"], [30.4, "1 month / s"], [91, "3 months / s"]];
  const DOT = 11, GAP = 26, DESK_GAP = 12, EXIT_ROW = 30;
  // Two layouts of the stage (logical pixels): one panel across the page, or two side by side.
  const WIDE = {W: 1000, QUEUE_X: 16, QUEUE_W: 168, QUEUE_COLS: 6, DESKS_X: 200, DESKS_W: 540, DESK_COLS: 3,
                EXITS_X: 762, EXITS_W: 226};
  const COMPACT = {W: 660, QUEUE_X: 8, QUEUE_W: 116, QUEUE_COLS: 4, DESKS_X: 134, DESKS_W: 326, DESK_COLS: 2,
                   EXITS_X: 472, EXITS_W: 182};
  const TOP = 44;            // below the area labels
  const FLY_MS = 900;        // how long a leaving dot takes to reach its exit

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children || []) node.appendChild(c);
    return node;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many || one + "s"); }

  function dayWords(day, data) {
    const d = Math.floor(day);
    const year = Math.floor(d / 365) + 1, week = Math.floor((d % 365) / 7) + 1;
    let s = "Day " + d + " · year " + year + ", week " + week;
    if (data.start > 0) {
      const after = data.window_start > 0 && data.start >= data.window_start ? ", after the warm-up" : "";
      s += " (day " + Math.floor(d + data.start) + " of the run" + after + ")";
    }
    return s;
  }

  /* ------------------------------------------------------------------ the state machine */
  class World {
    constructor(data) {
      this.data = data;
      this.ev = data.events;
      this.n = data.events.length / 4;
      this.reset();
    }

    reset() {
      const d = this.data;
      this.i = 0;
      this.day = 0;
      this.people = new Map();   // person -> {state, post, slot, sick, exit, exitAt}
      this.queue = [];           // the waiting list, FIFO
      this.exits = new Array(d.exits.length).fill(0);
      this.leaving = [];         // people who left since the last frame: for the flight to the exit
      this.posts = d.posts.map((p, i) => {
        const s = d.init.posts[i];
        return {held: !!s[0], absent: !!s[1], closed: !!s[2], opened: !!s[3], slots: []};
      });
      for (const [q, state, post, sick] of d.init.people) {
        const p = {state: state, post: -1, slot: -1, sick: !!sick, exit: -1};
        this.people.set(q, p);
        if (state === WAITING) this.queue.push(q);
        else this.seat(q, p, post);
      }
      this.version = 0;
    }

    seat(q, p, post) {
      if (p.post >= 0) this.unseat(p);
      const slots = this.posts[post].slots;
      let k = slots.indexOf(undefined);
      if (k < 0) k = slots.indexOf(null);
      if (k < 0) k = slots.length;
      slots[k] = q;
      p.post = post;
      p.slot = k;
    }

    unseat(p) {
      if (p.post >= 0) this.posts[p.post].slots[p.slot] = null;
      p.post = -1;
      p.slot = -1;
    }

    dequeue(q) {
      const k = this.queue.indexOf(q);
      if (k >= 0) this.queue.splice(k, 1);
    }

    apply(t, kind, q, a) {
      const p = this.people.get(q);
      switch (kind) {
        case K.REF: this.people.set(q, {state: WAITING, post: -1, slot: -1, sick: false, exit: -1, born: t}); break;
        case K.QUEUE: this.queue.push(q); break;
        case K.INTAKE: this.dequeue(q); p.state = 1; this.seat(q, p, a); break;
        case K.STEP: p.state = a; break;
        case K.JOB: p.state = 5; break;
        case K.JOB_END: p.state = 3; break;
        case K.HANDOVER: this.seat(q, p, a); break;
        case K.SICK: if (p) p.sick = a === 1; break;
        case K.EXIT:
          this.exits[a] += 1;
          if (p) {
            this.dequeue(q);
            this.leaving.push({q: q, post: p.post, slot: p.slot, state: p.state, exit: a});
            this.unseat(p);
            p.state = GONE;
            p.exit = a;
          }
          break;
        case K.POST_START: Object.assign(this.posts[a], {held: true, absent: false, opened: true}); break;
        case K.POST_LEAVE: Object.assign(this.posts[a], {held: false, absent: false}); break;
        case K.ABSENCE: this.posts[a >> 1].absent = (a & 1) === 1; break;
        case K.POST_CLOSED: this.posts[a].closed = true; break;
      }
    }

    /* Apply every event at or before `day` (hundredths of a day, as the log rounds them). */
    advance(day) {
      const ev = this.ev, until = Math.round(day * 100);
      while (this.i < this.n && ev[4 * this.i] <= until) {
        const j = 4 * this.i;
        this.apply(ev[j] / 100, ev[j + 1], ev[j + 2], ev[j + 3]);
        this.i += 1;
      }
      this.day = day;
      this.version += 1;
    }

    seek(day) {
      if (day < this.day) this.reset();
      this.advance(day);
    }

    counts() {
      let onCaseload = 0, inWork = 0;
      for (const p of this.people.values()) {
        if (p.state >= 1) onCaseload += 1;
        if (p.state === 5) inWork += 1;
      }
      return {day: this.day, waiting: this.queue.length, onCaseload: onCaseload, inWork: inWork,
              exits: this.exits.slice(),
              posts: this.posts.map((p) => ({held: p.held, absent: p.absent, closed: p.closed,
                                              caseload: p.slots.filter((x) => x !== null && x !== undefined).length}))};
    }

    /* The week row at or before the clock (for stress and load), or -1 before the first week end. */
    weekIndex() {
      const t = this.data.weeks.t;
      let lo = 0, hi = t.length - 1, k = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (t[mid] <= this.day) { k = mid; lo = mid + 1; } else hi = mid - 1;
      }
      return k;
    }

    /* One person's path up to the clock, in words. */
    path(q) {
      const d = this.data, ev = this.ev, lines = [];
      const info = d.people[q];
      const name = "Candidate " + info[0];
      if (info[1] < 0) lines.push([info[1], "referred " + Math.round(-info[1]) + " days before the start shown"]);
      const until = Math.round(this.day * 100);
      for (let i = 0; i < this.n && ev[4 * i] <= until; i++) {
        if (ev[4 * i + 2] !== q) continue;
        const t = ev[4 * i] / 100, kind = ev[4 * i + 1], a = ev[4 * i + 3];
        let w = null;
        switch (kind) {
          case K.REF: w = "referred"; break;
          case K.QUEUE: w = "joins the waiting list"; break;
          case K.INTAKE: w = "taken in by " + d.posts[a].label + ": step 1, " + d.steps[0]; break;
          case K.STEP: w = "step " + a + ": " + d.steps[a - 1]; break;
          case K.JOB: w = "starts a job (" + ["permanent", "fixed-term", "on-call"][a] + ")"; break;
          case K.JOB_END: w = "the job ends: back to step 3, job finding"; break;
          case K.HANDOVER: w = "handed over to " + d.posts[a].label; break;
          case K.SICK: w = a === 1 ? "on sick leave" : "back from sick leave"; break;
          case K.EXIT: w = "leaves: " + d.exits[a].toLowerCase(); break;
        }
        if (w) lines.push([t, w]);
      }
      return {name: name, severity: info[2], reduced: !!info[3], inWork: !!info[4], lines: lines};
    }
  }

  /* ------------------------------------------------------------------ one panel's drawing */
  class Panel {
    constructor(root, data, label, player, compact) {
      this.L = compact ? COMPACT : WIDE;
      this.data = data;
      this.world = new World(data);
      this.player = player;
      this.selected = -1;
      this.dots = new Map();  // person -> {x, y}
      this.flying = [];       // {q, x, y, tx, ty, colour, t0}
      this.layout();
      const head = el("div", {class: "cs-panel-head"}, [
        el("h3", {text: label || (data.scenario + " · " + data.team)}),
        el("p", {class: "cs-sub", text: "seed " + data.seed + " · replication " + data.replication + " · team " + data.team}),
      ]);
      this.canvas = el("canvas", {class: "cs-stage", role: "img",
        "aria-label": "The team's waiting list, specialists' desks with their candidates, and the exits"});
      this.canvas.addEventListener("click", (e) => this.click(e));
      this.sparks = el("div", {class: "cs-sparks"});
      this.sparkCanvases = [["waiting", "Waiting list", ""], ["in_work", "In a job, on the caseload", ""],
                            ["stress", "Specialists' mean stress (0–100)", ""]].map(([key, title, unit]) => {
        const c = el("canvas", {class: "cs-spark", "data-series": key, "aria-label": title});
        c.addEventListener("click", (e) => {
          const r = c.getBoundingClientRect();
          player.seek(((e.clientX - r.left) / r.width) * data.days);
        });
        const caption = el("figcaption", {text: title});
        this.sparks.appendChild(el("figure", {}, [c, caption]));
        return {canvas: c, caption: caption, key: key, unit: unit, title: title};
      });
      this.ticker = el("ol", {class: "cs-ticker", "aria-live": "polite", "aria-label": "What happened, latest first"});
      this.person = el("div", {class: "cs-person", hidden: ""});
      this.counter = el("p", {class: "cs-counts"});
      this.root = el("section", {class: "cs-panel"}, [head, this.counter, this.canvas, this.sparks,
        el("div", {class: "cs-below"}, [el("div", {class: "cs-story"}, [el("h4", {text: "Story"}), this.ticker]), this.person])]);
      root.appendChild(this.root);
      this.resize();
    }

    layout() {
      const posts = this.data.posts;
      const maxSlots = Math.max(12, ...posts.map((p) => p.slots));
      this.deskCols = Math.min(this.L.DESK_COLS, Math.max(1, posts.length));
      this.deskW = (this.L.DESKS_W - DESK_GAP * (this.deskCols - 1)) / this.deskCols;
      this.slotCols = Math.max(3, Math.floor((this.deskW - 44) / GAP));
      this.deskH = 42 + Math.ceil((maxSlots + 2) / this.slotCols) * GAP + 8;
      const rows = Math.ceil(posts.length / this.deskCols);
      const desksH = TOP + rows * (this.deskH + DESK_GAP);
      const exitsH = TOP + this.data.exits.length * EXIT_ROW + 10;
      this.H = Math.max(desksH, exitsH, 340);
      this.queueRows = Math.floor((this.H - TOP - 30) / GAP);
    }

    resize() {
      const ratio = window.devicePixelRatio || 1;
      this.canvas.width = this.L.W * ratio;
      this.canvas.height = this.H * ratio;
      this.canvas.style.aspectRatio = this.L.W + " / " + this.H;
      this.ratio = ratio;
      for (const s of this.sparkCanvases) { s.canvas.width = 300 * ratio; s.canvas.height = 64 * ratio; }
    }

    deskXY(post) {
      const col = post % this.deskCols, row = Math.floor(post / this.deskCols);
      return [this.L.DESKS_X + col * (this.deskW + DESK_GAP), TOP + row * (this.deskH + DESK_GAP)];
    }

    seatXY(post, slot) {
      const [x, y] = this.deskXY(post);
      return [x + 18 + (slot % this.slotCols) * GAP, y + 50 + Math.floor(slot / this.slotCols) * GAP];
    }

    queueXY(k) {
      const shown = this.queueRows * this.L.QUEUE_COLS;
      const kk = Math.min(k, shown - 1);
      return [this.L.QUEUE_X + 16 + (kk % this.L.QUEUE_COLS) * GAP, TOP + 30 + Math.floor(kk / this.L.QUEUE_COLS) * GAP];
    }

    exitXY(e) { return [this.L.EXITS_X + 14, TOP + e * EXIT_ROW + 12]; }

    /* Where every visible dot belongs now: waiting list position or desk seat. */
    targets() {
      const out = new Map(), w = this.world;
      w.queue.forEach((q, k) => out.set(q, this.queueXY(k)));
      for (const [q, p] of w.people) if (p.state >= 1 && p.post >= 0) out.set(q, this.seatXY(p.post, p.slot));
      return out;
    }

    /* Move the dots toward their places (snap: jump there, as after a scrub). */
    step(dtMs, snap) {
      const targets = this.targets(), w = this.world;
      const k = snap ? 1 : Math.min(1, dtMs / 160);
      for (const [q, [tx, ty]] of targets) {
        let d = this.dots.get(q);
        if (!d) {  // a new referral comes in at the top of the waiting list
          d = snap ? {x: tx, y: ty} : {x: this.L.QUEUE_X + 16, y: TOP - 6};
          this.dots.set(q, d);
        }
        d.x += (tx - d.x) * k;
        d.y += (ty - d.y) * k;
      }
      for (const q of [...this.dots.keys()]) if (!targets.has(q)) this.dots.delete(q);
      const now = performance.now();
      for (const l of w.leaving) {
        if (snap) continue;
        const from = l.post >= 0 ? this.seatXY(l.post, l.slot) : [this.L.QUEUE_X + 16, TOP + 30];
        const [tx, ty] = this.exitXY(l.exit);
        this.flying.push({q: l.q, x: from[0], y: from[1], fx: from[0], fy: from[1], tx: tx, ty: ty,
                          colour: STEP_COLOURS[Math.max(0, l.state)], t0: now});
      }
      w.leaving.length = 0;
      this.flying = this.flying.filter((f) => now - f.t0 < FLY_MS);
      for (const f of this.flying) {
        const u = Math.min(1, (now - f.t0) / FLY_MS), e = u * u * (3 - 2 * u);
        f.x = f.fx + (f.tx - f.fx) * e;
        f.y = f.fy + (f.ty - f.fy) * e;
      }
    }

    draw() {
      const c = this.canvas.getContext("2d"), w = this.world, d = this.data;
      c.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
      c.clearRect(0, 0, this.L.W, this.H);
      c.font = "600 13px system-ui, sans-serif";
      c.textBaseline = "middle";
      c.fillStyle = "#333";
      c.fillText("Waiting list: " + w.queue.length, this.L.QUEUE_X, 14);
      c.font = "12px system-ui, sans-serif";
      c.fillStyle = "#5b6670";
      c.fillText("referrals arrive ↓", this.L.QUEUE_X, 32);
      c.font = "600 13px system-ui, sans-serif";
      c.fillStyle = "#333";
      c.fillText("Specialists and their caseloads", this.L.DESKS_X, 14);
      c.fillText("Where people went", this.L.EXITS_X, 14);
      // the waiting list
      c.strokeStyle = "#ccc";
      c.lineWidth = 1;
      c.strokeRect(this.L.QUEUE_X, TOP + 12, this.L.QUEUE_W, this.H - TOP - 24);
      const shown = this.queueRows * this.L.QUEUE_COLS;
      if (w.queue.length > shown) {
        c.font = "12px system-ui, sans-serif";
        c.fillStyle = "#555";
        c.fillText("+ " + (w.queue.length - shown + 1) + " more", this.L.QUEUE_X + 8, this.H - 22);
      }
      // desks
      const wi = w.weekIndex();
      d.posts.forEach((post, i) => this.drawDesk(c, i, post, w.posts[i], wi));
      // exits
      c.font = "12.5px system-ui, sans-serif";
      d.exits.forEach((label, e) => {
        const [x, y] = this.exitXY(e);
        c.fillStyle = EXIT_COLOURS[e];
        c.fillRect(x - 8, y - 8, 16, 16);
        c.fillStyle = "#222";
        c.fillText(label, x + 16, y);
        c.font = "600 13px system-ui, sans-serif";
        c.textAlign = "right";
        c.fillText(String(w.exits[e]), this.L.EXITS_X + this.L.EXITS_W, y);
        c.textAlign = "left";
        c.font = "12.5px system-ui, sans-serif";
      });
      // dots
      for (const [q, pos] of this.dots) {
        const p = w.people.get(q);
        if (!p) continue;
        this.drawDot(c, pos.x, pos.y, STEP_COLOURS[Math.max(0, p.state)], p.sick, q === this.selected);
      }
      for (const f of this.flying) this.drawDot(c, f.x, f.y, f.colour, false, f.q === this.selected);
    }

    drawDot(c, x, y, colour, sick, selected) {
      c.beginPath();
      c.arc(x, y, DOT / 2 + 1, 0, 2 * Math.PI);
      if (sick) {
        c.fillStyle = "#fff";
        c.fill();
        c.lineWidth = 3;
        c.strokeStyle = colour;
        c.stroke();
      } else {
        c.fillStyle = colour;
        c.fill();
      }
      if (selected) {
        c.beginPath();
        c.arc(x, y, DOT / 2 + 5, 0, 2 * Math.PI);
        c.lineWidth = 2;
        c.strokeStyle = "#000";
        c.stroke();
      }
    }

    drawDesk(c, i, post, s, wi) {
      const [x, y] = this.deskXY(i), dw = this.deskW, dh = this.deskH;
      // the week row holds the stress of the week that ended; a holder who left since has none
      const stress = wi >= 0 && s.held ? this.data.weeks.stress[wi][i] : -1;
      const load = wi >= 0 ? this.data.weeks.load[wi][i] : 0;
      let status = "";
      if (!s.opened) status = "not open yet";
      else if (s.closed) status = "post being cut";
      else if (!s.held) status = "vacant";
      else if (s.absent) status = "off sick";
      c.save();
      c.fillStyle = !s.opened ? "#f4f4f4" : !s.held ? "#fbeaea" : s.absent ? "#fff4dc" : "#f7f9fb";
      c.strokeStyle = !s.held ? "#D55E00" : "#b8c2cc";
      c.lineWidth = !s.held ? 2 : 1;
      if (!s.held) c.setLineDash([6, 4]);
      c.beginPath();
      c.roundRect ? c.roundRect(x, y, dw, dh, 8) : c.rect(x, y, dw, dh);
      c.fill();
      c.stroke();
      c.setLineDash([]);
      c.fillStyle = "#222";
      c.font = "600 13px system-ui, sans-serif";
      c.fillText(post.label, x + 10, y + 15);
      c.font = "12px system-ui, sans-serif";
      const caseload = s.slots.filter((q) => q !== null && q !== undefined).length;
      c.fillStyle = status ? "#a33b00" : "#555";
      c.fillText(status || (caseload + " / " + post.slots + (load > 100 ? " · load " + load + " %" : "")), x + 10, y + 32);
      // empty seats
      c.strokeStyle = "#dde3e8";
      c.lineWidth = 1;
      for (let k = 0; k < post.slots; k++) {
        const [sx, sy] = this.seatXY(i, k);
        c.beginPath();
        c.arc(sx, sy, DOT / 2 + 1, 0, 2 * Math.PI);
        c.stroke();
      }
      // the holder's stress gauge
      const gx = x + dw - 18, gy = y + 44, gh = dh - 54;
      c.fillStyle = "#e8e8e8";
      c.fillRect(gx, gy, 8, gh);
      if (stress >= 0) {
        const h = gh * stress / 100;
        c.fillStyle = stress < 40 ? "#009E73" : stress < 65 ? "#E69F00" : "#D55E00";
        c.fillRect(gx, gy + gh - h, 8, h);
      }
      c.fillStyle = "#555";
      c.font = "11px system-ui, sans-serif";
      c.textAlign = "right";
      c.fillText(stress >= 0 ? "stress " + stress : "", x + dw - 6, y + 15);
      c.textAlign = "left";
      c.restore();
    }

    drawSparks() {
      const d = this.data, t = d.weeks.t, wi = this.world.weekIndex();
      // the counts are the clock's own (as the stage shows them); stress is the last week's
      const counts = this.world.counts();
      for (const s of this.sparkCanvases) {
        const c = s.canvas.getContext("2d"), vals = d.series[s.key];
        c.setTransform(this.ratio, 0, 0, this.ratio, 0, 0);
        c.clearRect(0, 0, 300, 64);
        const finite = vals.filter((v) => v >= 0);
        const top = Math.max(1, ...finite) * 1.1;
        const X = (day) => 4 + (292 * day) / d.days, Y = (v) => 58 - (50 * v) / top;
        c.strokeStyle = "#0072B2";
        c.lineWidth = 1.5;
        c.beginPath();
        let started = false;
        vals.forEach((v, k) => {
          if (v < 0) { started = false; return; }
          if (!started) c.moveTo(X(t[k]), Y(v)); else c.lineTo(X(t[k]), Y(v));
          started = true;
        });
        c.stroke();
        c.strokeStyle = "#D55E00";
        c.beginPath();
        c.moveTo(X(this.world.day), 2);
        c.lineTo(X(this.world.day), 62);
        c.stroke();
        const now = s.key === "waiting" ? counts.waiting : s.key === "in_work" ? counts.inWork : wi >= 0 ? vals[wi] : null;
        s.caption.textContent = s.title + ": " + (now === null || now < 0 ? "–" : String(now) + s.unit);
      }
    }

    drawTicker() {
      const story = this.data.story, day = this.world.day;
      let lo = 0, hi = story.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (story[mid][0] <= day) lo = mid + 1; else hi = mid; }
      if (this.tickerAt === lo) return;
      this.tickerAt = lo;
      this.ticker.replaceChildren(...story.slice(Math.max(0, lo - 8), lo).reverse().map(([t, text]) =>
        el("li", {}, [el("span", {class: "cs-day", text: "day " + Math.floor(t)}), document.createTextNode(" " + text)])));
    }

    drawCounts() {
      const c = this.world.counts();
      const work = c.exits[0] + c.exits[1];
      this.counter.textContent = "Waiting " + c.waiting + " · on caseloads " + c.onCaseload +
        " · in a job now " + c.inWork + " · left for work " + work;
      this.counter.dataset.waiting = String(c.waiting);
    }

    drawPerson() {
      if (this.selected < 0) { this.person.hidden = true; return; }
      const p = this.world.path(this.selected);
      this.person.hidden = false;
      const facts = "severity " + p.severity + " / 100" + (p.reduced ? " · reduced work capacity" : "") +
        (p.inWork ? " · some work at referral" : "");
      this.person.replaceChildren(
        el("h4", {text: p.name}), el("p", {class: "cs-sub", text: facts}),
        el("ol", {}, p.lines.map(([t, w]) => el("li", {}, [el("span", {class: "cs-day", text: "day " + Math.floor(t)}),
                                                           document.createTextNode(" " + w)]))));
    }

    click(e) {
      const r = this.canvas.getBoundingClientRect();
      const x = ((e.clientX - r.left) / r.width) * this.L.W, y = ((e.clientY - r.top) / r.height) * this.H;
      let best = -1, bestD = 14 * 14;
      for (const [q, pos] of this.dots) {
        const dd = (pos.x - x) ** 2 + (pos.y - y) ** 2;
        if (dd < bestD) { best = q; bestD = dd; }
      }
      this.player.select(best >= 0 ? this.data.people[best][0] : -1);
    }

    selectByName(name) {
      this.selected = this.data.people.findIndex((row) => row[0] === name);
      this.drawPerson();
    }

    frame(dtMs, snap) {
      this.step(dtMs, snap);
      this.draw();
      this.drawSparks();
      this.drawTicker();
      this.drawCounts();
      if (this.selected >= 0 && this.personVersion !== this.world.i) { this.personVersion = this.world.i; this.drawPerson(); }
    }
  }

  /* ------------------------------------------------------------------ controls and clock */
  class Player {
    constructor(root, datasets, options) {
      options = options || {};
      this.days = Math.max(...datasets.map((d) => d.days));
      this.day = 0;
      this.playing = false;
      this.speed = SPEEDS[1][0];
      this.root = el("div", {class: "cs-player"});
      this.playBtn = el("button", {type: "button", class: "cs-play", "aria-label": "Play", text: "▶ Play", onclick: () => this.toggle()});
      const weekBtn = el("button", {type: "button", class: "cs-week", text: "+1 week", onclick: () => this.stepWeek()});
      const restart = el("button", {type: "button", class: "cs-restart", text: "◀◀ Start", onclick: () => { this.pause(); this.seek(0); }});
      const speed = el("select", {class: "cs-speed", "aria-label": "Speed"});
      SPEEDS.forEach(([v, label], k) => speed.appendChild(el("option", {value: String(v), text: label})));
      speed.selectedIndex = 1;
      speed.addEventListener("change", () => { this.speed = Number(speed.value); });
      this.scrub = el("input", {type: "range", class: "cs-scrub", min: "0", max: String(Math.floor(this.days)), step: "1", value: "0",
                                "aria-label": "Day"});
      this.scrub.addEventListener("input", () => this.seek(Number(this.scrub.value)));
      this.clock = el("output", {class: "cs-clock"});
      const bar = el("div", {class: "cs-controls"}, [restart, this.playBtn, weekBtn, speed, this.scrub, this.clock]);
      if (options.title) this.root.appendChild(el("h2", {class: "cs-title", text: options.title}));
      this.root.appendChild(bar);
      this.root.appendChild(this.legend(datasets[0]));
      const panels = el("div", {class: "cs-panels cs-n" + datasets.length});
      this.root.appendChild(panels);
      root.appendChild(this.root);
      const labels = options.labels || [];
      this.panels = datasets.map((d, k) => new Panel(panels, d, labels[k], this, datasets.length > 1));
      this.keys = (e) => {
        // keys belong to the player only when nothing else (a form control, a button) has the focus
        const inside = e.target && this.root.contains(e.target);
        if (e.target && /INPUT|SELECT|TEXTAREA|BUTTON/.test(e.target.tagName) && !(inside && e.target === this.scrub)) return;
        if (e.target && e.target !== document.body && !inside) return;
        if (e.key === " ") { e.preventDefault(); this.toggle(); }
        else if (e.key === "ArrowRight" && e.target !== this.scrub) this.stepWeek();
      };
      document.addEventListener("keydown", this.keys);
      this.last = performance.now();
      this.goal = null;
      this.snap = true;
      this.alive = true;
      const loop = (now) => {
        if (!this.alive) return;
        this.tick(now);
        requestAnimationFrame(loop);
      };
      requestAnimationFrame(loop);
      this.render(true);
    }

    legend(data) {
      const items = ["waiting"].concat(data.steps.map((s, k) => "step " + (k + 1) + ": " + s));
      return el("ul", {class: "cs-legend", "aria-label": "Colours"}, items.map((text, k) =>
        el("li", {}, [el("span", {class: "cs-swatch", style: "background:" + STEP_COLOURS[k]}), document.createTextNode(text)]))
        .concat([el("li", {}, [el("span", {class: "cs-swatch cs-ring", style: "border-color:" + STEP_COLOURS[3]}),
                               document.createTextNode("ring: on sick leave")])]));
    }

    tick(now) {
      const dt = Math.min(100, now - this.last);
      this.last = now;
      if (this.playing) {
        let day = this.day + (this.speed * dt) / 1000;
        if (this.goal !== null && day >= this.goal) { day = this.goal; this.goal = null; this.playing = false; this.showPlaying(); }
        if (day >= this.days) { day = this.days; this.playing = false; this.showPlaying(); }
        this.setDay(day);
      }
      this.render(false, dt);
    }

    setDay(day) {
      this.day = day;
      for (const p of this.panels) p.world.advance(Math.min(day, p.data.days));
    }

    render(snap, dt) {
      const s = snap || this.snap;
      this.snap = false;
      for (const p of this.panels) p.frame(dt || 16, s);
      this.scrub.value = String(Math.floor(this.day));
      this.clock.textContent = dayWords(this.day, this.panels[0].data);
    }

    showPlaying() {
      this.playBtn.textContent = this.playing ? "❚❚ Pause" : "▶ Play";
      this.playBtn.setAttribute("aria-label", this.playing ? "Pause" : "Play");
    }

    play() { if (this.day >= this.days) this.seek(0); this.playing = true; this.goal = null; this.showPlaying(); }
    pause() { this.playing = false; this.goal = null; this.showPlaying(); }
    toggle() { if (this.playing) this.pause(); else this.play(); }

    /* Jump to a day: the state there, dots in place at once. */
    seek(day) {
      day = Math.max(0, Math.min(this.days, Number(day)));
      this.day = day;
      for (const p of this.panels) { p.world.seek(Math.min(day, p.data.days)); p.flying = []; p.world.leaving.length = 0; }
      this.snap = true;
      this.render(true);
    }

    /* Play one week on, then stop (the dots glide). */
    stepWeek() { this.goal = Math.min(this.days, Math.floor(this.day / 7) * 7 + 7); this.playing = true; this.showPlaying(); }

    select(name) { for (const p of this.panels) p.selectByName(name); this.render(false); }

    state(i) { return this.panels[i || 0].world.counts(); }

    dotPositions(i) {
      const out = [];
      for (const [q, pos] of this.panels[i || 0].dots) out.push([this.panels[i || 0].data.people[q][0], pos.x, pos.y]);
      return out;
    }

    destroy() {
      this.alive = false;
      document.removeEventListener("keydown", this.keys);
      this.root.remove();
    }
  }

  window.CaseloadPlayer = {
    mount: function (element, datasets, options) {
      const player = new Player(element, datasets, options);
      (window.caseloadPlayers = window.caseloadPlayers || []).push(player);
      return player;
    },
  };
})();
