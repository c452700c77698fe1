// The preview page's own script (the email never runs any: its frame is sandboxed without
// allow-scripts). It fits the email frame to the email's height, copies the HTML source, and
// live-reloads: it polls the fingerprint of the watched files and reloads when it changes.
(function () {
  "use strict";

  // --- fit the frame to the email ---------------------------------------------------------
  // The frame is same-origin (sandbox="allow-same-origin", no scripts), so this page can
  // read the email's height. Shrinking the frame to 1px first makes scrollHeight the
  // content's own height, at the frame's current width; both writes happen in one task, so
  // nothing is painted in between.
  var frame = document.getElementById("email");
  function fit() {
    var doc;
    try { doc = frame.contentDocument; } catch (e) { return; }
    if (!doc || !doc.documentElement) return;
    var before = frame.style.height;
    frame.style.height = "1px";
    var height = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    frame.style.height = before;
    if (height > 1 && frame.style.height !== height + "px") {
      frame.style.height = height + "px";
      frame.dataset.fitted = String(height);
    }
  }
  if (frame) {
    frame.addEventListener("load", function () {
      fit();
      var doc = frame.contentDocument;
      if (doc && window.ResizeObserver && doc.body) new ResizeObserver(fit).observe(doc.body);
    });
    window.addEventListener("resize", fit);
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") fit();
  }

  // --- copy the HTML source ---------------------------------------------------------------
  var copy = document.getElementById("copy-source");
  if (copy) {
    copy.addEventListener("click", function () {
      var text = document.getElementById("source").textContent;
      var status = document.getElementById("copy-status");
      function done(ok) { status.textContent = ok ? "Copied " + text.length + " characters." : "Copy failed: select the text and copy it."; }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    });
  }

  // --- live reload ------------------------------------------------------------------------
  // An edited (unsubmitted) context is kept by submitting the form instead of reloading; a
  // page that answered a POST (a test send) reloads its GET address instead.
  var version = document.body.dataset.version;
  var target = document.body.dataset.reload;
  var form = document.getElementById("ctx-form");
  var area = document.getElementById("ctx");
  var dirty = false;
  if (area) area.addEventListener("input", function () { dirty = true; });
  function poll() {
    fetch("/_version", {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (j && j.version !== version) {
          if (dirty && form) form.submit();
          else if (target) window.location.replace(target);
          else window.location.reload();
          return;
        }
        setTimeout(poll, 400);
      })
      .catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 400);
})();
