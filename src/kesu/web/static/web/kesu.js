// Live countdowns: every <time class="due" datetime="..."> shows the time left until it,
// updated each minute; the server renders the same text first, so pages work without JS.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-hans";
  var zh = lang.indexOf("zh") === 0;

  function words(ms) {
    var late = ms < 0;
    var mins = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(mins / 1440), h = Math.floor((mins % 1440) / 60), m = mins % 60;
    var text;
    if (zh) {
      text = (d ? d + "天" : "") + (d || h ? h + "小时" : "") + (d ? "" : m + "分");
      return late ? "已超时 " + text : "剩余 " + text;
    }
    text = (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d ? "" : m + "m");
    return late ? "overdue by " + text.trim() : text.trim() + " left";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.due[data-countdown]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) return;
      var left = due - now;
      var soonMs = parseInt(el.getAttribute("data-soon") || "7200000", 10);
      el.textContent = words(left);
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < soonMs);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 60000);
  });
  document.addEventListener("htmx:afterSwap", tick);

  // Behaviour that pages ask for by attribute, instead of inline handlers (onchange=…), which
  // the Content-Security-Policy refuses (docs/decisions/0010-security-headers.md):
  // <select data-autosubmit> sends its form when changed (the language switch);
  // <input type="checkbox" data-toggle-class="c" data-toggle-target="id"> sets class c on the
  // element with that id while checked (the analysis page's "show tables").
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-autosubmit]") && el.form) {
      el.form.submit();
    } else if (el.matches("input[data-toggle-class]")) {
      var target = document.getElementById(el.getAttribute("data-toggle-target"));
      if (target) target.classList.toggle(el.getAttribute("data-toggle-class"), el.checked);
    }
  });

  // htmx 2 does not swap 4xx answers; ours that name a target (HX-Retarget, from
  // kesu.web.errors.error_response) carry a message the user must read.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
