// Fills in an embedded Kartoteka form: a fresh fill-time token, the page address and the
// tracking visitor id (the _ktv cookie), so the form itself stays plain HTML.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-kt-form]");
  var visitor = (document.cookie.match(/(?:^|;\s*)_ktv=([A-Za-z0-9_-]{8,64})/) || [])[1] || "";
  Array.prototype.forEach.call(forms, function (form) {
    form.elements.page_url.value = location.href;
    form.elements._ktv.value = visitor;
    fetch(form.action + "/token", { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (body) { form.elements._ts.value = body.token; });
  });
})();
