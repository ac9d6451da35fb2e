// The intake form (console/intake/intake.html): a suggestion's button puts it into its field;
// the platform case number is marked required for the channels whose rule needs it (the
// server checks it either way). A static file, not an inline script: the Content-Security-Policy
// allows scripts from this site only (docs/decisions/0010-security-headers.md).
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-fill]");
    if (!button) return;
    event.preventDefault();
    var field = form.elements[button.getAttribute("data-fill")];
    if (field) {
      field.value = button.getAttribute("data-value");
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  var channel = form.elements.channel, caseNo = form.elements.platform_case_no;
  function markCaseNo() {
    var needs = (caseNo.getAttribute("data-required-for") || "").split(" ");
    caseNo.required = needs.indexOf(channel.value) >= 0;
  }
  if (channel && caseNo) {
    channel.addEventListener("change", markCaseNo);
    markCaseNo();
  }
})();
