/* The filter builder on the contact list: add conditions, pick a field, get the operator and
   value widgets that fit its type, see the live count; Apply puts the filter in the URL. */
(function () {
  "use strict";
  const root = document.getElementById("filter-builder");
  if (!root) return;
  const fields = JSON.parse(document.getElementById("filter-fields").textContent);
  const opLabels = JSON.parse(document.getElementById("operator-labels").textContent);
  const current = JSON.parse(document.getElementById("filter-current").textContent) || { all: [] };
  const rows = document.getElementById("builder-rows");
  const counter = document.getElementById("builder-count");
  const applyButton = document.getElementById("builder-apply");
  const saveDocument = document.getElementById("save-document");
  const byKey = Object.fromEntries(fields.map((f) => [f.key, f]));
  const BEHAVIOUR = "__activity";
  const label = (name) => root.dataset[name] || name;
  let timer = null;

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    });
    (children || []).forEach((child) => node.appendChild(child));
    return node;
  }

  function fieldSelect() {
    const select = element("select", { class: "builder-field", "aria-label": label("fieldLabel") });
    const groups = {};
    fields.forEach((f) => {
      if (!groups[f.group]) {
        groups[f.group] = element("optgroup", { label: f.group });
        select.appendChild(groups[f.group]);
      }
      groups[f.group].appendChild(element("option", { value: f.key, text: f.label }));
    });
    select.appendChild(element("option", { value: BEHAVIOUR, text: label("behaviourLabel") }));
    return select;
  }

  function valueWidget(field, op) {
    const box = element("span", { class: "builder-value" });
    if (op === "is_empty" || op === "is_not_empty") return box;
    const many = ["in", "not_in", "has_any", "has_all", "has_none"].includes(op);
    if (op === "in_last_days" || op === "more_than_days_ago") {
      box.appendChild(element("input", { type: "number", min: "0", max: "36500", value: "30", "aria-label": label("daysLabel"), class: "v" }));
      box.appendChild(element("span", { text: " d" }));
      return box;
    }
    if (field.type === "boolean") {
      const select = element("select", { class: "v", "aria-label": field.label });
      select.appendChild(element("option", { value: "true", text: "✓" }));
      select.appendChild(element("option", { value: "false", text: "✗" }));
      box.appendChild(select);
      return box;
    }
    if (field.choices) {
      const select = element("select", { class: "v", "aria-label": field.label });
      if (many) select.multiple = true;
      field.choices.forEach(([code, label]) => select.appendChild(element("option", { value: code, text: label })));
      box.appendChild(select);
      return box;
    }
    const inputType = field.type === "number" ? "number" : field.type === "date" ? "date" : "text";
    const count = op === "between" ? 2 : 1;
    for (let i = 0; i < count; i++) {
      const input = element("input", { type: inputType, class: "v", "aria-label": field.label });
      if (inputType === "number") input.step = "any";
      if (many) input.placeholder = "a, b, c";
      box.appendChild(input);
    }
    return box;
  }

  function behaviourWidget() {
    const box = element("span", { class: "builder-value" });
    box.appendChild(element("input", { type: "text", class: "kind", value: "visit", size: "10", "aria-label": label("kindLabel") }));
    box.appendChild(element("span", { text: " ≥ " }));
    box.appendChild(element("input", { type: "number", class: "times", value: "3", min: "1", "aria-label": label("timesLabel") }));
    box.appendChild(element("span", { text: " × / " }));
    box.appendChild(element("input", { type: "number", class: "days", value: "7", min: "1", "aria-label": label("daysLabel") }));
    box.appendChild(element("span", { text: " d" }));
    return box;
  }

  function addRow() {
    const row = element("div", { class: "builder-row" });
    const select = fieldSelect();
    const ops = element("select", { class: "builder-op", "aria-label": label("operatorLabel") });
    let value = element("span");
    const remove = element("button", { type: "button", class: "btn-link", text: "×", title: label("removeLabel"), "aria-label": label("removeLabel") });
    row.append(select, ops, value, remove);

    function refreshValue() {
      const fresh = select.value === BEHAVIOUR ? behaviourWidget() : valueWidget(byKey[select.value], ops.value);
      row.replaceChild(fresh, value);
      value = fresh;
      changed();
    }
    function refreshOps() {
      ops.innerHTML = "";
      ops.hidden = select.value === BEHAVIOUR;
      if (!ops.hidden) {
        byKey[select.value].operators.forEach((op) => ops.appendChild(element("option", { value: op, text: opLabels[op] || op })));
      }
      refreshValue();
    }
    select.addEventListener("change", refreshOps);
    ops.addEventListener("change", refreshValue);
    row.addEventListener("input", changed);
    remove.addEventListener("click", () => { row.remove(); changed(); });
    rows.appendChild(row);
    refreshOps();
    select.focus();
  }

  function rowCondition(row) {
    const key = row.querySelector(".builder-field").value;
    if (key === BEHAVIOUR) {
      return {
        activity: row.querySelector(".kind").value.trim(),
        min_count: parseInt(row.querySelector(".times").value, 10),
        within_days: parseInt(row.querySelector(".days").value, 10),
      };
    }
    const field = byKey[key];
    const op = row.querySelector(".builder-op").value;
    const condition = { field: key, op: op };
    if (op === "is_empty" || op === "is_not_empty") return condition;
    const inputs = Array.from(row.querySelectorAll(".v"));
    const many = ["in", "not_in", "has_any", "has_all", "has_none"].includes(op);
    const cast = (text) => (field.type === "number" && text !== "" ? Number(text) : text);
    if (op === "in_last_days" || op === "more_than_days_ago") {
      condition.value = parseInt(inputs[0].value, 10);
    } else if (field.type === "boolean") {
      condition.value = inputs[0].value === "true";
    } else if (inputs[0].tagName === "SELECT") {
      const chosen = Array.from(inputs[0].selectedOptions).map((o) => o.value);
      condition.value = many ? chosen : chosen[0];
    } else if (op === "between") {
      condition.value = inputs.map((i) => cast(i.value));
    } else if (many) {
      condition.value = inputs[0].value.split(",").map((s) => s.trim()).filter(Boolean).map(cast);
    } else {
      condition.value = cast(inputs[0].value);
    }
    return condition;
  }

  // A condition still waiting for its value (a row just added) is not sent for counting: the
  // count would only answer that the value is missing, in red, before anything was typed.
  function isIncomplete(condition) {
    if ("activity" in condition) {
      return !condition.activity || isNaN(condition.min_count) || isNaN(condition.within_days);
    }
    if (!("value" in condition)) return false;
    const values = Array.isArray(condition.value) ? condition.value : [condition.value];
    return values.length === 0 || values.some((v) => v === undefined || v === "" || Number.isNaN(v));
  }

  function documentNow(added = Array.from(rows.children).map(rowCondition)) {
    const existing = current.all && Object.keys(current).length === 1 ? current.all : [current];
    return { all: existing.concat(added) };
  }

  function changed() {
    const hasRows = rows.children.length > 0;
    applyButton.hidden = !hasRows;
    const added = Array.from(rows.children).map(rowCondition);
    if (saveDocument) saveDocument.value = JSON.stringify(documentNow(added));
    clearTimeout(timer);
    if (!hasRows) { counter.textContent = ""; return; }
    if (added.some(isIncomplete)) {
      counter.textContent = label("incompleteLabel");
      return;
    }
    timer = setTimeout(refreshCount, 300);
  }

  function refreshCount() {
    const url = root.dataset.countUrl + "?f=" + encodeURIComponent(JSON.stringify(documentNow()));
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then((response) => response.text())
      .then((html) => { counter.innerHTML = html; })
      .catch(() => { counter.textContent = ""; });
  }

  function apply() {
    const params = new URLSearchParams(window.location.search);
    ["q", "f", "after", "before"].forEach((name) => params.delete(name));
    params.set("f", JSON.stringify(documentNow()));
    window.location.assign(root.dataset.listUrl + "?" + params.toString());
  }

  document.getElementById("builder-add").addEventListener("click", addRow);
  applyButton.addEventListener("click", apply);
})();
