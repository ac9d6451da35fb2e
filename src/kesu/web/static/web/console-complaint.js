// Two small helps for the action forms of the complaint page (console/complaint/detail.html),
// bound once for the page and every swapped region: a department select offers only that
// department's people in its handler select, and a standard reply fills the message it starts.
// Without them the server still checks all. A static file, not an inline script: the
// Content-Security-Policy allows scripts from this site only (docs/decisions/0010).
(function () {
  "use strict";
  function filterPeople(select) {
    var target = document.getElementById(select.getAttribute("data-handlers"));
    if (!target) return;
    var dept = select.value;
    target.querySelectorAll("option[data-department]").forEach(function (opt) {
      var other = !!dept && opt.getAttribute("data-department") !== dept;
      opt.hidden = other;
      opt.disabled = other;
      if (other && opt.selected) target.value = "";
    });
    target.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
  }
  function filterAll() {
    document.querySelectorAll("select[data-handlers]").forEach(filterPeople);
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-handlers]")) filterPeople(el);
    if (el.matches("select[data-reply-into]")) {
      var opt = el.options[el.selectedIndex];
      var area = document.getElementById(el.getAttribute("data-reply-into"));
      if (area && opt && opt.hasAttribute("data-text")) {
        area.value = opt.getAttribute("data-text");
        area.focus();
      }
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", filterAll);
  } else {
    filterAll();
  }
  document.addEventListener("htmx:afterSwap", filterAll);
})();
