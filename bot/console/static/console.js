// The console's only script: live refresh. Every page works without it.
//
// An element with data-poll="<url>" has its content replaced with what <url> answers
// every data-poll-every milliseconds (default 5000), while the tab is visible. The
// fragment endpoints answer HTML made on the server, as the page itself is.
(function () {
  "use strict";

  function poll(element) {
    var url = element.getAttribute("data-poll");
    var every = parseInt(element.getAttribute("data-poll-every") || "5000", 10);
    var stopped = false;

    function refresh() {
      if (stopped || document.hidden) {
        return;
      }
      // A poll must not replace what someone is typing into, or move their focus.
      if (element.contains(document.activeElement) && document.activeElement !== element) {
        return;
      }
      fetch(url, {
        credentials: "same-origin",
        headers: { "X-Console-Poll": "1" },
        redirect: "manual",
      })
        .then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401) {
            // Signed out (idle timeout): stop, and let the next navigation sign in.
            stopped = true;
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (text) {
          if (text !== null && text !== undefined && text !== element.innerHTML) {
            element.innerHTML = text;
            element.dispatchEvent(new CustomEvent("console:refreshed", { bubbles: true }));
          }
        })
        .catch(function () {
          // The server is restarting: the next tick tries again.
        });
    }

    window.setInterval(refresh, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var elements = document.querySelectorAll("[data-poll]");
    for (var i = 0; i < elements.length; i++) {
      poll(elements[i]);
    }
  });
})();
