// Live reload: poll the fingerprint of the watched files; reload the page when it changes.
// An edited (unsubmitted) context is kept by submitting the form instead of reloading.
(function () {
  "use strict";
  var version = document.body.dataset.version;
  var form = document.getElementById("ctx-form");
  var area = document.getElementById("ctx");
  var dirty = false;
  if (area) area.addEventListener("input", function () { dirty = true; });
  function poll() {
    fetch("/_version", {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (j && j.version !== version) {
          if (dirty && form) form.submit(); else window.location.reload();
          return;
        }
        setTimeout(poll, 400);
      })
      .catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 400);
})();
