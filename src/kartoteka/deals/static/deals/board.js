// The deals board: drag a card to another column (SortableJS), or focus it and press the left
// or right arrow key, and the move is saved at once with the version the card showed. A move
// someone else made first is refused by the server; the board then reloads with their change.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function updateStats(columns) {
    Object.keys(columns).forEach(function (stageId) {
      var section = document.querySelector(".board-column[data-stage='" + stageId + "']");
      if (!section) return;
      // The server renders the column's count and per-currency totals as the board does.
      section.querySelector(".column-stats").innerHTML = columns[stageId].stats;
    });
  }

  function save(board, card, stageId) {
    var body = new URLSearchParams();
    body.append("stage", stageId);
    body.append("version", card.dataset.version);
    card.classList.add("saving");
    return fetch(card.dataset.moveUrl + window.location.search, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (answer) {
        card.classList.remove("saving");
        if (!response.ok) {
          window.alert(answer.error || board.dataset.moveError);
          window.location.reload();
          return;
        }
        card.dataset.version = answer.version;
        card.querySelectorAll("input[name=version]").forEach(function (input) {
          input.value = answer.version;
        });
        updateStats(answer.columns);
        card.classList.add("moved");
      });
    }).catch(function () {
      window.alert(board.dataset.moveError);
      window.location.reload();
    });
  }

  function setUp() {
    var board = document.getElementById("deal-board");
    if (!board) return;
    var lists = Array.prototype.slice.call(board.querySelectorAll(".column-cards"));
    if (window.Sortable) {
      lists.forEach(function (list) {
        window.Sortable.create(list, {
          group: "deals",
          draggable: ".deal-card",
          filter: "a, button, summary, input",
          preventOnFilter: false,
          animation: 0,
          forceFallback: true,
          fallbackOnBody: true,
          scroll: true,
          bubbleScroll: true,
          ghostClass: "dragging",
          onEnd: function (event) {
            if (event.from === event.to) return;
            save(board, event.item, event.to.dataset.stage);
          }
        });
      });
    }
    board.addEventListener("keydown", function (event) {
      var card = event.target;
      if (!card.classList || !card.classList.contains("deal-card")) return;
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      var index = lists.indexOf(card.parentElement);
      var target = lists[index + (event.key === "ArrowRight" ? 1 : -1)];
      if (!target) return;
      event.preventDefault();
      target.insertBefore(card, target.firstChild);
      card.focus();
      save(board, card, target.dataset.stage);
    });
  }

  document.addEventListener("DOMContentLoaded", setUp);
})();
