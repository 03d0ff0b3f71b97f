/* Kartoteka website tracking: page views, time on page, and who the visitor is once known.
   <script async src="https://CRM/t.js" data-site="KEY"></script>
   Calls: kt('identify', 'ana@example.com'); kt('consent', true) (with data-consent="wait"). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__kartoteka) return;
  window.__kartoteka = true;
  var site = script.getAttribute("data-site");
  var endpoint = script.src.replace(/\/t\.js(\?.*)?$/, "/t/collect");
  var respectDnt = script.getAttribute("data-dnt") !== "ignore";
  var consent = script.getAttribute("data-consent") !== "wait";
  var queued = (window.kt && window.kt.q) || [];
  var waiting = [];
  var shownSince = Date.now();
  var shownMs = 0;
  var COOKIE = "_ktv";

  if (respectDnt && (navigator.doNotTrack === "1" || window.doNotTrack === "1" ||
      navigator.globalPrivacyControl === true)) {
    window.kt = function () {};
    return;
  }

  function visitor() {
    var found = document.cookie.match(/(?:^|;\s*)_ktv=([A-Za-z0-9_-]{8,64})/);
    if (found) return found[1];
    var bytes = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var id = Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    document.cookie = COOKIE + "=" + id + ";path=/;max-age=63072000;SameSite=Lax" +
      (location.protocol === "https:" ? ";Secure" : "");
    return id;
  }

  function send(kind, extra) {
    if (!consent) { waiting.push([kind, extra]); return; }
    var hit = { s: site, v: visitor(), k: kind, u: location.href };
    for (var key in extra) hit[key] = extra[key];
    var body = JSON.stringify(hit);
    if (navigator.sendBeacon &&
        navigator.sendBeacon(endpoint, new Blob([body], { type: "text/plain" }))) return;
    if (window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "cors",
        credentials: "omit", headers: { "Content-Type": "text/plain" } });
    }
  }

  function command(name, value) {
    if (name === "identify" && typeof value === "string") send("identify", { e: value });
    if (name === "consent") {
      consent = value !== false;
      if (consent) { var pending = waiting; waiting = []; pending.forEach(function (p) { send(p[0], p[1]); }); }
      else { waiting = []; }
    }
  }

  window.kt = function () { command(arguments[0], arguments[1]); };
  var link = location.search.match(/[?&]_ktm=([A-Za-z0-9_-]{16,64})/);
  if (link && history.replaceState) {
    // The token identifies this browser once; it stays out of the address and of page views.
    history.replaceState(history.state, "", location.href.replace(/([?&])_ktm=[^&#]*&?/, "$1").replace(/[?&](#|$)/, "$1"));
  }
  send("view", { t: document.title.slice(0, 300), r: document.referrer });
  if (link) send("identify", { m: link[1] });
  queued.forEach(function (args) { command(args[0], args[1]); });

  // Links to Kartoteka's public files carry the visitor id, so a download joins this history.
  var files = endpoint.replace(/\/t\/collect$/, "/d/");
  document.addEventListener("click", function (event) {
    var a = event.target && event.target.closest && event.target.closest("a[href]");
    if (!a || !consent || a.href.indexOf(files) !== 0 || /[?&]v=/.test(a.href)) return;
    a.href += (a.href.indexOf("?") < 0 ? "?" : "&") + "v=" + visitor();
  }, true);

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      shownMs += Date.now() - shownSince;
      send("leave", { sec: Math.round(shownMs / 1000) });
    } else {
      shownSince = Date.now();
    }
  });
})();
