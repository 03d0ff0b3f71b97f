/* The filter builder: one row per condition, each with the field, the operator and a value
   picker that fits the field's type (the fields registry says which); values that exist are
   picked from a searchable list with their counts, behaviour is a sentence with its numbers
   editable inside it. The live count follows every change; Apply puts the filter in the URL.
   The filter in the address opens as rows, so what the list and segments take round-trips. */
(function () {
  "use strict";
  const root = document.getElementById("filter-builder");
  if (!root) return;
  const data = (id) => JSON.parse(document.getElementById(id).textContent);
  const fields = data("filter-fields");
  const opLabels = data("operator-labels");
  const text = data("builder-text");
  const kinds = data("behaviour-kinds");
  const initialRows = data("filter-rows");
  const rows = document.getElementById("builder-rows");
  const counter = document.getElementById("builder-count");
  const applyButton = document.getElementById("builder-apply");
  const addButton = document.getElementById("builder-add");
  const saveDocument = document.getElementById("save-document");
  const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
  const BEHAVIOUR = "activity:";
  const MANY = ["in", "not_in", "has_any", "has_all", "has_none"];
  const PICKED = ["eq", "ne", ...MANY];
  const DAYS = ["in_last_days", "more_than_days_ago"];
  const EMPTY = ["is_empty", "is_not_empty"];
  let timer = null;
  let inFlight = null;
  let serial = 0;

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  // A sentence with {name} places for elements: "at least {times} times in the last {days} days".
  function sentence(template, parts) {
    const nodes = [];
    template.split(/(\{[a-z]+\})/).forEach((piece) => {
      const name = piece.match(/^\{([a-z]+)\}$/);
      if (name && parts[name[1]]) nodes.push(parts[name[1]]);
      else if (piece) nodes.push(element("span", { text: piece }));
    });
    return nodes;
  }

  function fieldSelect() {
    const select = element("select", { class: "builder-field", "aria-label": text.field });
    const groups = {};
    fields.forEach((f) => {
      if (!groups[f.group]) {
        groups[f.group] = element("optgroup", { label: f.group });
        select.appendChild(groups[f.group]);
      }
      groups[f.group].appendChild(element("option", { value: f.key, text: f.label }));
    });
    if (kinds.length) {
      const group = element("optgroup", { label: text.behaviour });
      kinds.forEach(([key, label]) => group.appendChild(element("option", { value: BEHAVIOUR + key, text: label })));
      select.appendChild(group);
    }
    return select;
  }

  // ------------------------------------------------------------------------------------------
  // The picker: chosen values as removable tokens, a search box, a list of what exists with
  // counts (a combobox with a listbox, driven by the arrow keys, Enter and Escape).

  function picker(field, many, chosen) {
    const box = element("span", { class: "picker" });
    const tokens = element("span", { class: "picker-chosen" });
    const listId = "picker-" + (++serial);
    const input = element("input", {
      type: "text", class: "picker-input", role: "combobox", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": listId, "aria-label": field.label,
      placeholder: text.search, autocomplete: "off",
    });
    const list = element("ul", { class: "picker-list", role: "listbox", id: listId, "aria-label": field.label });
    list.hidden = true;
    box.append(tokens, input, list);
    let options = [];
    let active = -1;
    let asked = null;
    let searchTimer = null;

    function addToken(option) {
      if (!many) tokens.innerHTML = "";
      if (tokens.querySelector(`[data-value="${CSS.escape(option.value)}"]`)) return;
      const token = element("button", {
        type: "button", class: "picker-token", "data-value": option.value,
        "aria-label": text.removeValue.replace("{value}", option.label),
      });
      token.append(element("span", { text: option.label }), element("span", { "aria-hidden": "true", text: " ×" }));
      token.addEventListener("click", () => {
        const next = token.nextElementSibling || token.previousElementSibling;
        token.remove();
        (next || input).focus();
        changed();
      });
      tokens.appendChild(token);
    }

    function chosenValues() {
      return Array.from(tokens.children).map((t) => t.dataset.value);
    }

    function show(found) {
      const taken = chosenValues();
      options = found.filter((o) => !taken.includes(o.value));
      list.innerHTML = "";
      active = options.length ? 0 : -1;
      options.forEach((option, i) => {
        const item = element("li", { role: "option", id: `${listId}-${i}`, class: "picker-option", "aria-selected": "false" });
        item.append(element("span", { text: option.label }), element("span", { class: "picker-count", text: option.count.toLocaleString(document.documentElement.lang || undefined) }));
        item.addEventListener("mousedown", (event) => { event.preventDefault(); pick(i); });
        list.appendChild(item);
      });
      if (!options.length) list.appendChild(element("li", { class: "picker-none", text: text.noMatches }));
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight();
    }

    function highlight() {
      Array.from(list.querySelectorAll("[role=option]")).forEach((item, i) => {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
        if (i === active) item.scrollIntoView({ block: "nearest" });
      });
      if (active >= 0) input.setAttribute("aria-activedescendant", `${listId}-${active}`);
      else input.removeAttribute("aria-activedescendant");
    }

    // Closing also drops the answer still on its way, which would open the list again.
    function close() {
      asked = null;
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function pick(i) {
      const option = options[i];
      if (!option) return;
      addToken(option);
      input.value = "";
      clearTimeout(searchTimer);
      if (many) search(); else close();
      changed();
    }

    function query(params) {
      const url = new URL(root.dataset.optionsUrl, window.location.origin);
      url.searchParams.set("field", field.key);
      Object.entries(params).forEach(([name, value]) => {
        (Array.isArray(value) ? value : [value]).forEach((v) => url.searchParams.append(name, v));
      });
      return fetch(url, { credentials: "same-origin" }).then((response) => response.json());
    }

    // A single value already chosen: the list opens on typing or the arrow keys, not on focus.
    function search(force) {
      const prefix = input.value.trim();
      asked = prefix;
      if (force !== true && !many && tokens.children.length && !prefix) { close(); return; }
      query({ q: prefix, limit: "50" }).then((answer) => {
        if (asked !== prefix || document.activeElement !== input) return;
        if (answer.error) { list.innerHTML = ""; list.appendChild(element("li", { class: "picker-none", text: answer.error })); list.hidden = false; return; }
        show(answer.options);
      }).catch(close);
    }

    input.addEventListener("focus", () => search());
    input.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(search, 200); });
    input.addEventListener("blur", () => setTimeout(close, 100));
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { search(true); return; }
        if (!options.length) return;
        active = (active + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
        highlight();
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        if (!list.hidden && active >= 0) pick(active);
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); event.stopPropagation(); close(); }
      } else if (event.key === "Backspace" && input.value === "" && tokens.lastElementChild) {
        tokens.lastElementChild.remove();
        changed();
      }
    });

    // A filter opened in the builder: its values named as the reader reads them.
    const given = chosen.filter((v) => v !== null && v !== undefined && v !== "").map(String);
    given.forEach((value) => addToken({ value: value, label: value }));
    if (given.length) {
      query({ value: given, limit: String(Math.min(given.length, 200)) }).then((answer) => {
        (answer.options || []).forEach((option) => {
          const token = tokens.querySelector(`[data-value="${CSS.escape(option.value)}"]`);
          if (token) {
            token.firstChild.textContent = option.label;
            token.setAttribute("aria-label", text.removeValue.replace("{value}", option.label));
          }
        });
      }).catch(() => {});
    }
    box.values = chosenValues;
    return box;
  }

  // ------------------------------------------------------------------------------------------
  // Value widgets by type and operator.

  function numberInput(value, attributes) {
    const input = element("input", Object.assign({ type: "number", class: "v", inputmode: "numeric" }, attributes));
    if (value !== undefined && value !== null) input.value = value;
    return input;
  }

  function valueWidget(field, op, value) {
    const box = element("span", { class: "builder-value" });
    if (EMPTY.includes(op)) return box;
    const many = MANY.includes(op);
    if (DAYS.includes(op)) {
      const days = numberInput(value === undefined ? 7 : value, { min: "0", max: "36500", step: "1", "aria-label": text.days });
      box.append(days, element("span", { text: op === "in_last_days" ? text.daysUnit : text.daysAgoUnit }));
      return box;
    }
    if (field.type === "boolean") {
      const select = element("select", { class: "v", "aria-label": field.label });
      select.appendChild(element("option", { value: "true", text: text.yes }));
      select.appendChild(element("option", { value: "false", text: text.no }));
      if (value === false) select.value = "false";
      box.appendChild(select);
      return box;
    }
    if (field.pickable && PICKED.includes(op)) {
      const chosen = value === undefined ? [] : Array.isArray(value) ? value : [value];
      box.appendChild(picker(field, many, chosen));
      return box;
    }
    const inputType = field.type === "number" ? "number" : field.type === "date" ? "date" : "text";
    const values = op === "between" ? (Array.isArray(value) ? value : []) : [value];
    const count = op === "between" ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const input = element("input", { type: inputType, class: "v", "aria-label": i === 0 ? field.label : `${field.label} (${text.and})` });
      if (inputType === "number") input.step = "any";
      const given = values[i];
      if (many && Array.isArray(value)) input.value = value.join(", ");
      else if (given !== undefined && given !== null) input.value = inputType === "date" ? String(given).slice(0, 10) : given;
      if (many) input.placeholder = text.commas;
      if (i === 1) box.appendChild(element("span", { text: text.and }));
      box.appendChild(input);
    }
    return box;
  }

  function behaviourWidget(condition) {
    const box = element("span", { class: "builder-value builder-sentence" });
    const times = numberInput(condition ? condition.min_count : 3, { class: "times", min: "1", max: "100000", step: "1", "aria-label": text.times });
    const days = numberInput(condition ? condition.within_days : 7, { class: "days", min: "1", max: "36500", step: "1", "aria-label": text.days });
    box.append(...sentence(text.sentence, { times: times, days: days }));
    return box;
  }

  // ------------------------------------------------------------------------------------------
  // Rows.

  function removeButton(row) {
    const remove = element("button", { type: "button", class: "btn-link builder-remove", title: text.remove, "aria-label": text.remove, text: "×" });
    remove.addEventListener("click", () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      (next ? next.querySelector("select, input, button") : addButton).focus();
      changed();
    });
    return remove;
  }

  function fixedRow(entry) {
    const row = element("div", { class: "builder-row builder-fixed" });
    row.dataset.condition = JSON.stringify(entry.condition);
    row.append(element("span", { class: "builder-fixed-label", text: entry.label }), removeButton(row));
    rows.appendChild(row);
  }

  function addRow(condition) {
    const row = element("div", { class: "builder-row" });
    const select = fieldSelect();
    const ops = element("select", { class: "builder-op", "aria-label": text.operator });
    let value = element("span", { class: "builder-value" });
    row.append(select, ops, value, removeButton(row));

    function refreshValue(given) {
      const fresh = select.value.startsWith(BEHAVIOUR) ? behaviourWidget(given) : valueWidget(byKey[select.value], ops.value, given);
      row.replaceChild(fresh, value);
      value = fresh;
      changed();
    }
    function refreshOps(given, op) {
      ops.innerHTML = "";
      ops.hidden = select.value.startsWith(BEHAVIOUR);
      if (!ops.hidden) {
        byKey[select.value].operators.forEach((key) => ops.appendChild(element("option", { value: key, text: opLabels[key] || key })));
        if (op) ops.value = op;
      }
      refreshValue(given);
    }
    select.addEventListener("change", () => refreshOps());
    ops.addEventListener("change", () => {
      // Values picked stay when the operator changes between kinds that take them.
      const before = rowCondition(row);
      const keep = before && PICKED.includes(ops.value) && Array.isArray(before.value) ? before.value : undefined;
      refreshValue(keep && !MANY.includes(ops.value) ? keep.slice(0, 1) : keep);
    });
    row.addEventListener("input", changed);
    row.addEventListener("change", (event) => { if (event.target.closest(".builder-value")) changed(); });
    rows.appendChild(row);
    if (condition && "activity" in condition) {
      select.value = BEHAVIOUR + condition.activity;
      refreshOps(condition);
    } else if (condition) {
      select.value = condition.field;
      refreshOps(condition.value, condition.op);
    } else {
      refreshOps();
    }
    return row;
  }

  function rowCondition(row) {
    if (row.dataset.condition) return JSON.parse(row.dataset.condition);
    const key = row.querySelector(".builder-field").value;
    if (key.startsWith(BEHAVIOUR)) {
      return {
        activity: key.slice(BEHAVIOUR.length),
        min_count: parseInt(row.querySelector(".times").value, 10),
        within_days: parseInt(row.querySelector(".days").value, 10),
      };
    }
    const field = byKey[key];
    const op = row.querySelector(".builder-op").value;
    const condition = { field: key, op: op };
    if (EMPTY.includes(op)) return condition;
    const many = MANY.includes(op);
    const chosen = row.querySelector(".picker");
    if (chosen) {
      const values = chosen.values();
      condition.value = many ? values : values[0];
      return condition;
    }
    const inputs = Array.from(row.querySelectorAll(".v"));
    const cast = (entry) => (field.type === "number" && entry !== "" ? Number(entry) : entry);
    if (DAYS.includes(op)) {
      condition.value = inputs[0].value === "" ? NaN : Number(inputs[0].value);
    } else if (field.type === "boolean") {
      condition.value = inputs[0].value === "true";
    } else if (op === "between") {
      condition.value = inputs.map((i) => cast(i.value));
    } else if (many) {
      condition.value = inputs[0].value.split(",").map((s) => s.trim()).filter(Boolean).map(cast);
    } else {
      condition.value = cast(inputs[0].value);
    }
    return condition;
  }

  // A condition still waiting for its value is not sent for counting: the count would only
  // answer that the value is missing, in red, before anything was chosen.
  function isIncomplete(condition) {
    if ("activity" in condition) {
      return !Number.isInteger(condition.min_count) || !Number.isInteger(condition.within_days);
    }
    if (!("value" in condition)) return false;
    const values = Array.isArray(condition.value) ? condition.value : [condition.value];
    return values.length === 0 || values.some((v) => v === undefined || v === "" || Number.isNaN(v));
  }

  function draft() {
    return { all: Array.from(rows.children).map(rowCondition) };
  }

  const opened = JSON.stringify({ all: initialRows.map((entry) => entry.condition) });

  function changed() {
    const now = draft();
    const asText = JSON.stringify(now);
    applyButton.hidden = asText === opened;
    if (saveDocument) saveDocument.value = asText;
    clearTimeout(timer);
    if (now.all.some(isIncomplete)) {
      if (inFlight) inFlight.abort();
      counter.textContent = text.incomplete;
      return;
    }
    counter.classList.add("counting");
    timer = setTimeout(() => refreshCount(now), 300);
  }

  function refreshCount(documentNow) {
    if (inFlight) inFlight.abort();
    inFlight = new AbortController();
    const url = root.dataset.countUrl + "?f=" + encodeURIComponent(JSON.stringify(documentNow));
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin", signal: inFlight.signal })
      .then((response) => response.text())
      .then((html) => { counter.innerHTML = html; counter.classList.remove("counting"); })
      .catch((error) => {
        if (error.name === "AbortError") return;
        counter.textContent = text.countFailed;
        counter.classList.remove("counting");
      });
  }

  function apply() {
    const params = new URLSearchParams(window.location.search);
    ["q", "f", "after", "before"].forEach((name) => params.delete(name));
    const now = draft();
    if (now.all.length) params.set("f", JSON.stringify(now));
    window.location.assign(root.dataset.listUrl + (params.toString() ? "?" + params.toString() : ""));
  }

  initialRows.forEach((entry) => {
    const condition = entry.condition;
    const known = ("field" in condition && byKey[condition.field]) ||
      ("activity" in condition && kinds.some(([key]) => key === condition.activity));
    if (known) addRow(condition); else fixedRow(entry);
  });
  addButton.addEventListener("click", () => addRow().querySelector(".builder-field").focus());
  applyButton.addEventListener("click", apply);
  root.addEventListener("keydown", (event) => {
    // Ctrl/Cmd+Enter applies from anywhere in the builder.
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !applyButton.hidden) apply();
  });
  if (rows.children.length) changed();
})();
