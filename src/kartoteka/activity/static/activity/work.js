/* Files dropped on an upload form are sent at once; selects and file inputs marked
   data-autosubmit send their form when changed; forms with data-confirm ask first when
   htmx is not there to do it. Listeners sit on the document, so fragments swapped in later
   work too, and loading this file twice changes nothing. */
(function () {
  if (window.kartotekaWork) return;
  window.kartotekaWork = true;

  function send(form) {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (zone) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-drop-zone]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    var input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    send(zone);
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-autosubmit]")) return;
    var form = field.form;
    // htmx sends forms that declare hx-trigger="change" by itself.
    if (form && !(window.htmx && form.getAttribute("hx-trigger") === "change")) send(form);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.htmx && !window.confirm(question)) event.preventDefault();
  }, true);
})();
