// Live fragments of the operator pages: an element with data-refresh="URL" and data-live="1" is
// fetched again every data-every seconds and its content replaced, until the server answers
// with data-live="0" (nothing runs any more). A static file: the pages' CSP allows no inline
// script. No library: a fetch and a timer.
(function () {
  "use strict";

  function poll(element) {
    var every = Math.max(1, parseFloat(element.getAttribute("data-every") || "3")) * 1000;

    function tick() {
      if (element.getAttribute("data-live") !== "1") {
        return;
      }
      fetch(element.getAttribute("data-refresh"), {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      }).then(function (html) {
        var parsed = new DOMParser().parseFromString(html, "text/html");
        var fresh = parsed.getElementById(element.id);
        if (fresh) {
          element.innerHTML = fresh.innerHTML;
          element.setAttribute("data-live", fresh.getAttribute("data-live") || "0");
          element.setAttribute("data-refresh", fresh.getAttribute("data-refresh") || element.getAttribute("data-refresh"));
        }
      }).catch(function () {
        // a missed refresh (server restarting, network) is retried at the next tick
      }).then(function () {
        window.setTimeout(tick, every);
      });
    }

    window.setTimeout(tick, every);
  }

  function start() {
    var elements = document.querySelectorAll("[data-refresh]");
    for (var i = 0; i < elements.length; i += 1) {
      poll(elements[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
