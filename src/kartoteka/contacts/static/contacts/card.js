/* The contact card's header: the Actions menu (a menu button, by mouse and keyboard alike), the
   primary action that leads into a dashboard section's form, and the focus after an edit in
   place (in the header and in the custom details section). The header is swapped by htmx after each edit, so everything listens on the document. */
(function () {
  "use strict";

  var BUTTON = "#card-actions-button";

  function menuOf(button) {
    return document.getElementById(button.getAttribute("aria-controls"));
  }

  function items(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]"));
  }

  function openMenu(button, focusLast) {
    var menu = menuOf(button);
    if (!menu) return;
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    // Right-aligned under the button; on a narrow screen where that would leave the page,
    // aligned to the button's left edge instead.
    menu.classList.remove("align-start");
    if (menu.getBoundingClientRect().left < 0) menu.classList.add("align-start");
    var all = items(menu);
    if (all.length) all[focusLast ? all.length - 1 : 0].focus();
  }

  function closeMenu(button, giveFocusBack) {
    var menu = menuOf(button);
    if (menu) menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (giveFocusBack) button.focus();
  }

  function isOpen(button) {
    return button.getAttribute("aria-expanded") === "true";
  }

  document.addEventListener("click", function (event) {
    var button = document.querySelector(BUTTON);
    if (!button) return;
    if (event.target.closest(BUTTON)) {
      if (isOpen(button)) closeMenu(button, false); else openMenu(button, false);
      return;
    }
    if (!isOpen(button)) return;
    // An entry closes the menu (its link or form goes ahead) and gives the focus back to the
    // button, where it stays if the action's question is answered "no"; a click elsewhere
    // just closes it.
    if (event.target.closest("[role=menuitem]")) {
      closeMenu(button, true);
    } else if (!menuOf(button).contains(event.target)) {
      closeMenu(button, false);
    }
  });

  document.addEventListener("keydown", function (event) {
    var button = document.querySelector(BUTTON);
    if (!button) return;
    if (event.target === button) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        openMenu(button, event.key === "ArrowUp");
      } else if (event.key === "Escape" && isOpen(button)) {
        closeMenu(button, true);
      }
      return;
    }
    var menu = menuOf(button);
    if (!menu || !menu.contains(event.target)) return;
    var all = items(menu);
    var at = all.indexOf(event.target);
    var next = null;
    switch (event.key) {
      case "ArrowDown": next = all[(at + 1) % all.length]; break;
      case "ArrowUp": next = all[(at - 1 + all.length) % all.length]; break;
      case "Home": next = all[0]; break;
      case "End": next = all[all.length - 1]; break;
      case "Escape": event.preventDefault(); closeMenu(button, true); return;
      case "Tab": closeMenu(button, false); return;
      case " ":
        // Space works a button by itself; a link needs telling.
        if (event.target.tagName === "A") { event.preventDefault(); event.target.click(); }
        return;
      default: return;
    }
    event.preventDefault();
    next.focus();
  });

  // The primary action leads to a dashboard section: show it if the layout hides it, wait for
  // its body if it is still loading, and put the focus in its first field. An empty section
  // keeps its form folded behind its empty-state action: that action opens and focuses it.
  function enter(body) {
    var opener = body.querySelector(".section-empty [data-focus]");
    if (opener) {
      opener.click();
      return true;
    }
    var field = body.querySelector("textarea, input:not([type=hidden]), select");
    if (!field) return false;
    field.focus({ preventScroll: true });
    return true;
  }

  function focusSection(key) {
    var section = document.getElementById("section-" + key);
    if (!section) return false;
    var body = section.querySelector(".section-body");
    if (section.hidden) {
      section.hidden = false;
      if (body && !body.dataset.loaded && window.htmx) {
        body.dataset.loaded = "1";
        window.htmx.trigger(body, "kartoteka:show");
      }
    }
    section.scrollIntoView({ block: "start" });
    if (body && !enter(body)) {
      body.addEventListener("htmx:afterSettle", function settle() {
        body.removeEventListener("htmx:afterSettle", settle);
        enter(body);
      });
    }
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-focus-section]");
    if (link && focusSection(link.dataset.focusSection)) event.preventDefault();
  });

  // After an edit in place (saved or cancelled) the header comes back whole: the focus returns
  // to the value that was edited, so a keyboard user goes on from where they were.
  var lastField = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var from = event.detail.elt;
    if (!from || !from.closest || !from.closest("#card-header")) return;
    var owner = from.closest("[data-field]");
    lastField = owner ? owner.dataset.field : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!lastField || !event.detail.target || event.detail.target.id !== "card-header") return;
    var value = document.querySelector('#card-header .inplace-value[data-field="' + lastField + '"], #card-header .inplace-pencil[data-field="' + lastField + '"]');
    lastField = null;
    if (value) value.focus();
  });

  // The custom details section works the same way: after a save or Cancel the section comes
  // back whole and the focus returns to the detail's value (a refused value keeps its form).
  var lastDetail = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var from = event.detail.elt;
    var owner = from && from.closest ? from.closest("[data-detail]") : null;
    if (owner) lastDetail = owner.dataset.detail;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!lastDetail || !target || !/^details-/.test(target.id)) return;
    var value = document.getElementById("detail-value-" + lastDetail);
    if (!value) return;
    lastDetail = null;
    value.focus();
  });
})();
