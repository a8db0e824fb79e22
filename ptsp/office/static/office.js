// Back office: progress of a running job, and "select all" checkboxes.
// Pages work without this file (plain forms, page refresh); no inline scripts (CSP).
(function () {
  "use strict";
  document.querySelectorAll("input[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      form.querySelectorAll("input[type=checkbox][name=app]").forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });
  var panel = document.querySelector("[data-job-url]");
  if (!panel || document.getElementById("selesai")) { return; }
  var bar = document.getElementById("kemajuan");
  var text = document.getElementById("keadaan");
  function poll() {
    fetch(panel.getAttribute("data-job-url"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.max = job.total || 1;
        bar.value = job.done;
        bar.textContent = job.done + " dari " + job.total;
        if (job.finished) { window.location.reload(); return; }
        text.textContent = "Sedang berjalan: " + job.done + " dari " + job.total + " selesai.";
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 700);
})();
