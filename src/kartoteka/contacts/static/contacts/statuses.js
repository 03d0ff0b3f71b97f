// Settings → Lead statuses: drag a status by its handle (SortableJS: pointer and touch); the
// new order is posted with the page's own reorder form. The up and down buttons do the same
// from the keyboard, without script.
(function () {
  var list = document.getElementById("status-list");
  var order = document.getElementById("status-order");
  if (!list || !order || !window.Sortable) return;
  window.Sortable.create(list, {
    handle: ".drag-handle",
    animation: 0,
    forceFallback: true,
    ghostClass: "dragging",
    onEnd: function (event) {
      if (event.oldIndex === event.newIndex) return;
      var keys = Array.prototype.map.call(list.querySelectorAll("li[data-key]"), function (li) { return li.dataset.key; });
      order.elements.keys.value = keys.join(",");
      order.submit();
    }
  });
})();
