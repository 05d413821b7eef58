// The collector's live page: loads recent events, follows /api/stream, and renders the list and
// the selected event. Data only ever reaches the DOM as text nodes, never as markup.
"use strict";

(() => {
  const KEEP = 2000; // events held by the page
  const SHOWN = 500; // rows rendered at once
  const STATS_REFRESH_MS = 10000;

  const state = {
    events: [], // newest first
    rows: new Map(), // seq -> <li>
    names: new Set(),
    selected: null,
    filter: "",
    validity: "all",
    paused: false,
    pending: [],
    counts: { received: 0, valid: 0, invalid: 0, refused: 0 },
    renderQueued: false,
  };

  const $ = (id) => document.getElementById(id);
  const list = $("events");
  const detail = $("detail");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // Text with `backticked` parts as <code>, built from text nodes only.
  function prose(tag, className, text) {
    const node = el(tag, className);
    String(text).split("`").forEach((part, index) => {
      if (!part) return;
      node.append(index % 2 ? el("code", null, part) : document.createTextNode(part));
    });
    return node;
  }

  // ---- theme -------------------------------------------------------------------------------
  const THEME_KEY = "trackplan-collector-theme";
  function applyTheme(theme) {
    document.documentElement.dataset.theme = theme;
  }
  function initialTheme() {
    const stored = localStorage.getItem(THEME_KEY);
    if (stored === "dark" || stored === "light") return stored;
    return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function toggleTheme() {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  }

  // ---- data --------------------------------------------------------------------------------
  function label(event) {
    return event.name || event.type || "(no type)";
  }

  function matches(event) {
    if (state.validity === "valid" && !event.valid) return false;
    if (state.validity === "invalid" && event.valid) return false;
    if (state.validity === "refused" && !event.refused) return false;
    if (!state.filter) return true;
    const needle = state.filter.toLowerCase();
    return label(event).toLowerCase().includes(needle) || (event.type || "").toLowerCase() === needle;
  }

  function remember(event) {
    const name = label(event);
    if (!state.names.has(name)) {
      state.names.add(name);
      $("event-names").append(new Option(name));
    }
  }

  function setCounts(counts) {
    state.counts = {
      received: counts.received, valid: counts.valid, invalid: counts.invalid, refused: counts.refused,
    };
    showCounts();
    showCoverage(counts.coverage || []);
  }

  // Per-rule coverage of the loaded plans, from /api/stats (empty without a plan).
  function showCoverage(rules) {
    $("coverage").hidden = rules.length === 0;
    const seen = rules.filter((rule) => rule.seen > 0).length;
    $("coverage-summary").textContent = `Plan coverage: ${seen} of ${rules.length} rules seen`;
    $("coverage-rules").replaceChildren(
      ...rules.map((rule) => {
        const row = document.createElement("tr");
        if (rule.seen === 0) row.className = "unseen";
        const cells = [
          rule.name ? `${rule.type} "${rule.name}"` : rule.type,
          rule.seen,
          rule.valid,
          rule.invalid,
          rule.unseenProperties.join(", "),
        ];
        for (const text of cells) {
          const cell = document.createElement("td");
          cell.textContent = String(text);
          row.append(cell);
        }
        return row;
      }),
    );
  }

  function showCounts() {
    $("count-received").textContent = state.counts.received.toLocaleString();
    $("count-valid").textContent = state.counts.valid.toLocaleString();
    $("count-invalid").textContent = state.counts.invalid.toLocaleString();
    $("count-refused").textContent = state.counts.refused.toLocaleString();
  }

  // A refused message is marked refused whatever its verdict: it never reached the platform.
  function mark(event) {
    if (event.refused) return el("span", "mark refused", "Refused");
    return el("span", `mark ${event.valid ? "valid" : "invalid"}`, event.valid ? "Valid" : "Invalid");
  }

  function refusalText(refusal) {
    return `Refused (${refusal.status}): ${refusal.reason}`;
  }

  async function fetchJson(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return response.json();
  }

  async function reload() {
    const [{ events }, stats, info] = await Promise.all([
      fetchJson(`/api/events?limit=${KEEP}`),
      fetchJson("/api/stats"),
      fetchJson("/api/info"),
    ]);
    $("platform").textContent = info.description;
    state.events = events;
    state.pending = [];
    const newest = events.length ? events[0].seq : 0;
    incoming = incoming.filter((event) => event.seq > newest);
    const kept = new Set(events.map((event) => event.seq));
    for (const seq of state.rows.keys()) if (!kept.has(seq)) state.rows.delete(seq);
    events.forEach(remember);
    setCounts(stats);
    if (state.selected === null && events.length) state.selected = events[0].seq;
    render();
  }

  function receive(event) {
    state.counts.received += 1;
    state.counts[event.valid ? "valid" : "invalid"] += 1;
    if (event.refused) state.counts.refused += 1;
    showCounts();
    remember(event);
    if (state.paused) {
      state.pending.unshift(event);
      showResume();
      return;
    }
    insert([event]);
  }

  // Arrivals wait here for the next frame, so a burst costs one render, not one per event.
  let incoming = [];
  const freshRows = new Set();

  function insert(newestFirst) {
    incoming = newestFirst.concat(incoming);
    queueRender();
  }

  function takeIncoming() {
    if (!incoming.length) return;
    state.events = incoming.concat(state.events);
    for (const event of incoming) freshRows.add(event.seq);
    incoming = [];
    for (const dropped of state.events.splice(KEEP)) state.rows.delete(dropped.seq);
    if (state.selected === null) state.selected = state.events[0].seq;
  }

  // Reloads after missed events, at most once a second however often the stream lags.
  let catchingUp = false;
  function catchUp() {
    if (catchingUp) return;
    catchingUp = true;
    reload()
      .catch(() => {})
      .finally(() => setTimeout(() => { catchingUp = false; }, 1000));
  }

  // ---- stream ------------------------------------------------------------------------------
  function setConnection(stateName, text) {
    $("connection").dataset.state = stateName;
    $("connection-text").textContent = text;
  }

  function connect() {
    const source = new EventSource("/api/stream");
    let dropped = false;
    source.onopen = () => {
      setConnection(state.paused ? "paused" : "live", state.paused ? "Paused" : "Live");
      if (dropped) catchUp(); // what arrived while away
      dropped = false;
    };
    source.onmessage = (message) => receive(JSON.parse(message.data));
    source.addEventListener("lagged", catchUp);
    source.onerror = () => {
      dropped = true;
      setConnection("offline", "Reconnecting…");
    };
  }

  // ---- list --------------------------------------------------------------------------------
  function queueRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    requestAnimationFrame(() => {
      state.renderQueued = false;
      render();
    });
  }

  function time(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso || "";
    const pad = (n, width = 2) => String(n).padStart(width, "0");
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
  }

  function rowFor(event) {
    let row = state.rows.get(event.seq);
    if (row) return row;
    row = el("li", "row");
    row.dataset.seq = event.seq;
    row.dataset.valid = event.valid;
    row.setAttribute("role", "option");
    const main = el("div", "row-main");
    row.dataset.refused = Boolean(event.refused);
    const type = el("span", "type", event.type || "?");
    const name = el("span", event.name ? "cell name" : "cell name nameless", label(event));
    const user = el("span", "cell user", event.user || "—");
    const received = el("span", "cell time", time(event.receivedAt));
    received.title = event.receivedAt;
    name.title = label(event);
    main.append(mark(event), type, name, user, received);
    row.append(main);
    if (event.refused) {
      row.append(el("div", "row-issue", refusalText(event.refused)));
    } else if (!event.valid && event.violations.length) {
      const first = event.violations[0];
      const more = event.violations.length > 1 ? `  (+${event.violations.length - 1} more)` : "";
      row.append(prose("div", "row-issue", `${first.path ? first.path + ": " : ""}${first.message}${more}`));
    }
    row.addEventListener("click", () => select(event.seq));
    state.rows.set(event.seq, row);
    return row;
  }

  function visible() {
    return state.events.filter(matches);
  }

  function render() {
    takeIncoming();
    const shown = visible();
    const rows = shown.slice(0, SHOWN).map(rowFor);
    for (const row of rows) {
      const seq = Number(row.dataset.seq);
      row.setAttribute("aria-selected", String(seq === state.selected));
      row.classList.toggle("fresh", freshRows.has(seq));
    }
    freshRows.clear();
    list.replaceChildren(...rows);

    const empty = $("empty");
    empty.hidden = shown.length > 0;
    if (!shown.length) {
      empty.querySelector("h2").textContent = state.events.length ? "No events match the filter" : "Waiting for events";
    }
    renderDetail();
  }

  function showResume() {
    const button = $("resume");
    button.hidden = state.pending.length === 0;
    button.textContent = `${state.pending.length} new event${state.pending.length === 1 ? "" : "s"}: show them (p)`;
  }

  function setPaused(paused) {
    state.paused = paused;
    $("pause").setAttribute("aria-pressed", String(paused));
    $("pause").textContent = paused ? "Resume" : "Pause";
    if (paused) {
      setConnection("paused", "Paused");
    } else {
      setConnection("live", "Live");
      if (state.pending.length) insert(state.pending);
      state.pending = [];
    }
    showResume();
  }

  // ---- selection and detail -----------------------------------------------------------------
  function select(seq, scroll) {
    state.selected = seq;
    for (const row of list.children) {
      row.setAttribute("aria-selected", String(Number(row.dataset.seq) === seq));
    }
    const row = state.rows.get(seq);
    if (scroll && row) row.scrollIntoView({ block: "nearest" });
    renderDetail();
  }

  function move(step) {
    const shown = visible().slice(0, SHOWN);
    if (!shown.length) return;
    const at = shown.findIndex((event) => event.seq === state.selected);
    const next = at < 0 ? 0 : Math.min(shown.length - 1, Math.max(0, at + step));
    select(shown[next].seq, true);
  }

  let detailShown = null;
  function renderDetail() {
    const event = state.events.find((candidate) => candidate.seq === state.selected);
    if (!event) {
      if (detailShown !== null) {
        detail.replaceChildren(el("div", "placeholder", "Select an event to see its violations and full JSON."));
        detailShown = null;
      }
      return;
    }
    if (detailShown === event.seq) return;
    detailShown = event.seq;

    const head = el("div", "detail-head");
    head.append(
      el("h2", null, label(event)),
      el("span", "type", event.type || "?"),
      mark(event),
    );

    const message = event.message || {};
    const facts = el("dl", "facts");
    const fact = (name, value) => {
      if (value === undefined || value === null || value === "") return;
      facts.append(el("dt", null, name), el("dd", null, value));
    };
    fact("Received", event.receivedAt);
    fact("Timestamp", message.timestamp);
    fact("User ID", message.userId);
    fact("Anonymous ID", message.anonymousId);
    fact("Message ID", message.messageId);
    fact("Library", message.context && message.context.library
      ? `${message.context.library.name || "?"} ${message.context.library.version || ""}`.trim()
      : undefined);
    // Properties the plan marks "x-pii", flagged again in the payload below.
    const personalData = event.personalData || [];
    fact("Plan's personal data", personalData.join(", "));

    const violationsTitle = el("div", "section-title", event.valid ? "Validation" : `Violations (${event.violations.length})`);
    let violations;
    if (event.valid) {
      violations = el("div", "all-good", "✓ No violations: this event matches Segment's rules and the plan.");
    } else {
      violations = el("ul", "violations");
      for (const violation of event.violations) {
        const item = el("li", "violation");
        item.append(prose("div", "what", violation.message));
        const where = el("div", "where");
        where.append(el("code", null, violation.path || "(message)"), el("span", "rule", violation.rule));
        item.append(where);
        violations.append(item);
      }
    }

    const payloadTitle = el("div", "section-title", "Payload");
    const copy = el("button", null, "Copy");
    copy.type = "button";
    copy.title = "Copy the JSON (c)";
    copy.addEventListener("click", () => copyJson(copy));
    payloadTitle.append(copy);
    const json = el("pre", "json");
    json.id = "json";
    writeJson(json, message, "", "", new Set(personalData));

    const refusal = event.refused
      ? [el("div", "section-title", "Refused"), el("div", "refusal", refusalText(event.refused))]
      : [];
    detail.replaceChildren(head, facts, ...refusal, violationsTitle, violations, payloadTitle, json);
  }

  function copyJson(button) {
    const event = state.events.find((candidate) => candidate.seq === state.selected);
    if (!event) return;
    const text = JSON.stringify(event.message, null, 2);
    const done = () => {
      const target = button || detail.querySelector(".section-title button");
      if (!target) return;
      target.textContent = "Copied";
      setTimeout(() => { target.textContent = "Copy"; }, 1200);
    };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => {});
  }

  // Pretty-printed JSON with a span per token, built from text nodes. `path` is the value's
  // place in the message (`properties.address`, `[]` for array items); keys whose path is in
  // `personal` (the plan's "x-pii" properties) are flagged.
  function writeJson(parent, value, indent, path, personal) {
    const text = (t) => parent.append(document.createTextNode(t));
    const token = (className, t) => parent.append(el("span", className, t));
    if (value === null || typeof value === "boolean") return token("l", String(value));
    if (typeof value === "number") return token("n", String(value));
    if (typeof value === "string") return token("s", JSON.stringify(value));
    const inner = indent + "  ";
    if (Array.isArray(value)) {
      if (!value.length) return text("[]");
      text("[\n");
      value.forEach((item, index) => {
        text(inner);
        writeJson(parent, item, inner, `${path}[]`, personal);
        text(index < value.length - 1 ? ",\n" : "\n");
      });
      return text(`${indent}]`);
    }
    const keys = Object.keys(value);
    if (!keys.length) return text("{}");
    text("{\n");
    keys.forEach((key, index) => {
      const keyPath = path ? `${path}.${key}` : key;
      text(inner);
      const keyToken = el("span", "k", JSON.stringify(key));
      if (personal.has(keyPath)) {
        keyToken.classList.add("pii");
        keyToken.title = "Personal data: the plan marks this property \"x-pii\"";
      }
      parent.append(keyToken);
      text(": ");
      writeJson(parent, value[key], inner, keyPath, personal);
      text(index < keys.length - 1 ? ",\n" : "\n");
    });
    return text(`${indent}}`);
  }

  // ---- controls ----------------------------------------------------------------------------
  function setValidity(validity) {
    state.validity = validity;
    for (const button of document.querySelectorAll("[data-validity]")) {
      button.setAttribute("aria-checked", String(button.dataset.validity === validity));
    }
    render();
  }

  async function clearAll() {
    await fetch("/api/events", { method: "DELETE" });
    state.events = [];
    state.pending = [];
    incoming = [];
    state.rows.clear();
    state.selected = null;
    setCounts({ received: 0, valid: 0, invalid: 0, refused: 0 });
    showResume();
    render();
  }

  function bind() {
    const filter = $("filter");
    filter.addEventListener("input", () => {
      state.filter = filter.value.trim();
      render();
    });
    for (const button of document.querySelectorAll("[data-validity]")) {
      button.addEventListener("click", () => setValidity(button.dataset.validity));
    }
    $("pause").addEventListener("click", () => setPaused(!state.paused));
    $("resume").addEventListener("click", () => setPaused(false));
    $("clear").addEventListener("click", () => clearAll().catch(() => {}));
    $("theme").addEventListener("click", toggleTheme);

    document.addEventListener("keydown", (key) => {
      if (key.metaKey || key.ctrlKey || key.altKey) return;
      const typing = document.activeElement === filter;
      if (key.key === "Escape") {
        filter.value = "";
        state.filter = "";
        filter.blur();
        setValidity("all");
        return;
      }
      if (typing) {
        if (key.key === "Enter" || key.key === "ArrowDown") {
          filter.blur();
          move(0);
        }
        return;
      }
      const actions = {
        "/": () => filter.focus(),
        j: () => move(1),
        ArrowDown: () => move(1),
        k: () => move(-1),
        ArrowUp: () => move(-1),
        a: () => setValidity("all"),
        v: () => setValidity("valid"),
        i: () => setValidity("invalid"),
        r: () => setValidity("refused"),
        p: () => setPaused(!state.paused),
        c: () => copyJson(null),
        t: toggleTheme,
      };
      const action = actions[key.key];
      if (action) {
        key.preventDefault();
        action();
      }
    });
  }

  function showOrigin() {
    $("origin").textContent = location.origin;
    $("curl").textContent =
      `curl ${location.origin}/v1/track \\\n` +
      "  -H 'Content-Type: application/json' \\\n" +
      `  -d '{"userId": "user-1", "event": "Signed Up", "properties": {"plan": "pro"}}'`;
  }

  applyTheme(initialTheme());
  document.addEventListener("DOMContentLoaded", () => {
    bind();
    showOrigin();
    reload()
      .catch(() => setConnection("offline", "Collector unreachable"))
      .finally(connect);
    setInterval(() => {
      if (!state.paused) fetchJson("/api/stats").then(setCounts, () => {});
    }, STATS_REFRESH_MS);
  });
})();
