/* Kartoteka's own small script: confirmations, the list's selection, the dashboard layout. */
(function () {
  "use strict";

  // Any form or button with data-confirm asks first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    // htmx forms ask through hx-confirm themselves; asking here too would ask twice.
    if (form.hasAttribute("hx-confirm")) return;
    var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);

  // A form fragment answered with its errors (422, 409, 403) says so with a header: htmx
  // swaps only 2xx answers by itself, so it is told to put this one in place as well.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("Kartoteka-Form-Errors")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Close an open <details> menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    // The filters menu stays open until its button is pressed again: the builder inside it may
    // open pickers of its own.
    document.querySelectorAll("details.usermenu[open], details.bar-menu[open]:not(.filters-menu)").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[open]").forEach(function (menu) {
      if (menu.classList.contains("usermenu") || (menu.classList.contains("bar-menu") && !menu.classList.contains("filters-menu"))) {
        menu.removeAttribute("open");
        var summary = menu.querySelector("summary");
        if (summary) summary.focus();
      }
    });
  });

  // The menu button that stands in for the navigation on narrow screens. It is a real button,
  // so Enter and Space open it; Escape closes it and gives the focus back to it.
  function setUpMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var bar = toggle && toggle.closest(".topbar");
    if (!toggle || !bar) return;
    function setOpen(open) {
      bar.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!bar.contains(event.target)) setOpen(false);
    });
  }

  // The navigation's More menu (a <details>): a click elsewhere or Escape folds it again.
  function setUpMoreMenu() {
    var more = document.querySelector(".nav-more details");
    if (!more) return;
    document.addEventListener("click", function (event) {
      if (more.open && !more.contains(event.target)) more.open = false;
    });
    more.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && more.open) {
        more.open = false;
        more.querySelector("summary").focus();
        event.stopPropagation();
      }
    });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // ------------------------------------------------------------------------------------------
  // The card dashboard: customise (show / hide, drag and drop or ↑ ↓), lock, saved per user.
  function setUpDashboard() {
    var board = document.getElementById("dashboard");
    var tools = document.getElementById("dashboard-tools");
    if (!board || !tools) return;
    var customise = document.getElementById("customise-dashboard");
    var lock = document.getElementById("lock-dashboard");
    var status = document.getElementById("layout-status");
    var sortable = null;

    function sections() { return Array.prototype.slice.call(board.querySelectorAll(".section")); }

    // Saves go one at a time, each sending the layout as it is when it leaves, so a slow
    // earlier save can never land after (and undo) a later one.
    var queue = Promise.resolve();
    function save() {
      queue = queue.then(send, send);
      return queue;
    }

    function send() {
      var order = sections().map(function (s) { return s.dataset.key; });
      var hidden = sections().filter(function (s) { return s.classList.contains("hidden-section"); })
        .map(function (s) { return s.dataset.key; });
      var body = new URLSearchParams();
      body.set("order", order.join(","));
      body.set("hidden", hidden.join(","));
      body.set("locked", lock.checked ? "1" : "0");
      status.textContent = tools.dataset.saving || "…";
      return fetch(tools.dataset.saveUrl, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() }
      }).then(function (response) {
        status.textContent = response.ok ? (tools.dataset.saved || "✓") : (tools.dataset.failed || "✗");
      }, function () {
        status.textContent = tools.dataset.failed || "✗";
      });
    }

    function setCustomising(on) {
      board.classList.toggle("customising", on);
      customise.setAttribute("aria-pressed", on ? "true" : "false");
      if (sortable) sortable.option("disabled", !on);
      sections().forEach(function (s) {
        if (on) { s.hidden = false; } else if (s.classList.contains("hidden-section")) { s.hidden = true; }
      });
    }

    customise.addEventListener("click", function () {
      setCustomising(!board.classList.contains("customising"));
    });
    lock.addEventListener("change", function () {
      if (lock.checked) setCustomising(false);
      customise.disabled = lock.checked;
      save();
    });

    board.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button || !board.classList.contains("customising")) return;
      var section = button.closest(".section");
      if (button.dataset.move === "up" && section.previousElementSibling) {
        board.insertBefore(section, section.previousElementSibling);
      } else if (button.dataset.move === "down" && section.nextElementSibling) {
        board.insertBefore(section.nextElementSibling, section);
      }
      button.focus();
      save();
    });
    board.addEventListener("change", function (event) {
      if (!event.target.matches("[data-show]")) return;
      var section = event.target.closest(".section");
      section.classList.toggle("hidden-section", !event.target.checked);
      if (event.target.checked) {
        var sectionBody = section.querySelector(".section-body");
        if (sectionBody && !sectionBody.dataset.loaded && window.htmx) {
          sectionBody.dataset.loaded = "1";
          window.htmx.trigger(sectionBody, "kartoteka:show");
        }
      }
      save();
    });
    setUpMasonry(board);
    // Dragging is SortableJS (web/vendor/Sortable.min.js): pointer, touch and auto-scroll, so a
    // section can travel the whole dashboard. It is off unless the dashboard is customised.
    if (window.Sortable) {
      sortable = window.Sortable.create(board, {
        draggable: ".section",
        handle: ".section-head",
        filter: "button, input, label, a",
        preventOnFilter: false,
        disabled: !board.classList.contains("customising"),
        animation: 0,
        forceFallback: true,
        fallbackOnBody: true,
        scroll: true,
        bubbleScroll: true,
        ghostClass: "dragging",
        onEnd: function (event) {
          if (event.oldIndex !== event.newIndex) save();
        }
      });
    }
  }

  // Sections flow into the dashboard's columns without holes: in the user's order, each goes to
  // the top of the shortest column, and a wide one (the timeline) spans them all below the
  // tallest. The grid's rows are one pixel high and each section spans its own measured height,
  // so the columns stay the stylesheet's (their number follows the width) and the sections keep
  // their place in the document for keyboards, screen readers and drag and drop. Heights are
  // measured again whenever a section grows or shrinks (htmx loads, forms opening).
  function setUpMasonry(board) {
    if (!window.ResizeObserver || !window.MutationObserver) return;
    var pending = false;
    function schedule() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; layout(); });
    }
    function layout() {
      var style = window.getComputedStyle(board);
      var columns = style.gridTemplateColumns.split(" ").filter(Boolean).length || 1;
      var gutter = parseFloat(style.columnGap) || 0;
      var bottoms = [];
      for (var c = 0; c < columns; c++) bottoms.push(0);
      Array.prototype.forEach.call(board.children, function (item) {
        if (!item.classList.contains("section")) return;
        if (item.hidden) { item.style.gridRow = ""; item.style.gridColumn = ""; return; }
        var span = Math.ceil(item.getBoundingClientRect().height + gutter);
        var start;
        if (item.classList.contains("wide") || columns === 1) {
          start = Math.max.apply(null, bottoms);
          item.style.gridColumn = "1 / -1";
          for (var w = 0; w < columns; w++) bottoms[w] = start + span;
        } else {
          var column = bottoms.indexOf(Math.min.apply(null, bottoms));
          start = bottoms[column];
          item.style.gridColumn = (column + 1) + " / span 1";
          bottoms[column] = start + span;
        }
        item.style.gridRow = (start + 1) + " / span " + span;
      });
    }
    board.classList.add("masonry");
    var sizes = new window.ResizeObserver(schedule);
    function watch() {
      Array.prototype.forEach.call(board.children, function (item) { sizes.observe(item); });
    }
    watch();
    sizes.observe(board);
    new window.MutationObserver(function () { watch(); schedule(); }).observe(board, { childList: true });
    new window.MutationObserver(schedule)
      .observe(board, { attributes: true, subtree: true, attributeFilter: ["hidden"] });
    window.addEventListener("load", schedule);  // fonts and stylesheets may change heights
    layout();
  }

  // An empty section's action: show, open and focus the form that fills it (a file input opens
  // the file chooser); the action has done its work and steps aside.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-focus]");
    if (!button) return;
    var target = document.querySelector(button.dataset.focus);
    if (!target) return;
    for (var el = target; el && !el.classList.contains("section-body") && el !== document.body; el = el.parentElement) {
      if (el.hidden) el.hidden = false;
      if (el.tagName === "DETAILS") el.open = true;
    }
    button.remove();
    if (target.tagName === "DETAILS") {
      target = target.querySelector("input:not([type=hidden]), select, textarea") || target.querySelector("summary");
    }
    if (!target) return;
    target.scrollIntoView({ block: "nearest" });
    if (target.type === "file") { target.click(); } else { target.focus(); }
  });

  // ------------------------------------------------------------------------------------------
  // The contact list: select the page or every matching contact, and the bulk bar that
  // appears with a selection. "Every matching contact" sends scope=all and the list's filter
  // (hidden inputs of the form) instead of the ticked rows.
  function setUpList() {
    var table = document.getElementById("contact-table");
    var bar = document.getElementById("bulkbar");
    if (!table || !bar) return;
    var all = document.getElementById("select-all");
    var count = document.getElementById("selected-count");
    var scope = document.getElementById("bulk-scope");
    var banner = document.getElementById("select-banner");
    var morePages = !!document.querySelector(".pager a");
    var asked = null;
    function boxes() { return Array.prototype.slice.call(table.querySelectorAll("input[name=ids]")); }
    function setMatching(on) {
      scope.value = on ? "all" : "";
      bar.classList.toggle("all-matching", on);
      bar.querySelectorAll("[data-ticked-only]").forEach(function (b) { b.hidden = on; });
      var page = banner.querySelector(".select-page");
      var matching = banner.querySelector(".select-matching");
      if (page) page.hidden = on;
      if (matching) matching.hidden = !on;
      var button = document.getElementById("select-matching");
      if (count) count.textContent = on && button ? Number(button.dataset.total).toLocaleString(document.documentElement.lang) : boxes().filter(function (b) { return b.checked; }).length;
    }
    function offerMatching(shown) {
      if (asked === shown) { banner.hidden = !banner.innerHTML.trim(); return; }
      asked = shown;
      fetch(banner.dataset.url + shown, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          if (asked !== shown) return;
          banner.innerHTML = html;
          banner.hidden = !html.trim() || !all.checked;
          setMatching(false);
        });
    }
    function refresh() {
      var chosen = boxes().filter(function (b) { return b.checked; }).length;
      var whole = chosen > 0 && chosen === boxes().length;
      bar.hidden = chosen === 0;
      if (all) all.checked = whole;
      if (scope.value === "all" && !whole) setMatching(false);
      if (scope.value !== "all" && count) count.textContent = chosen;
      if (whole && morePages) offerMatching(chosen); else banner.hidden = true;
    }
    if (all) all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      refresh();
    });
    table.addEventListener("change", function (event) {
      if (event.target.name === "ids") refresh();
    });
    banner.addEventListener("click", function (event) {
      if (event.target.id === "select-matching") {
        setMatching(true);
        var done = document.getElementById("clear-selection");
        if (done) done.focus();
      } else if (event.target.id === "clear-selection") {
        setMatching(false);
        boxes().forEach(function (b) { b.checked = false; });
        refresh();
        if (all) all.focus();
      }
    });
    // Coming back to the page (the browser's back button) may restore ticked boxes.
    setMatching(false);
    refresh();
  }

  // The add-contact form: "add another" rows cloned from a <template>.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    var template = document.getElementById(button.dataset.addRow);
    var list = document.getElementById(button.dataset.addRow + "-list");
    if (!template || !list) return;
    var index = list.children.length;
    var html = template.innerHTML.replace(/__index__/g, String(index));
    list.insertAdjacentHTML("beforeend", html);
    var first = list.lastElementChild && list.lastElementChild.querySelector("input, select");
    if (first) first.focus();
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    setUpMoreMenu();
    setUpDashboard();
    setUpList();
  });
})();
