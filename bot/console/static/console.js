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

// The queue: say when new handoffs arrive (a polite status for screen readers, and a
// mark on the new rows), as the rows refresh.
(function () {
  "use strict";

  function ids(element) {
    var found = {};
    var rows = element.querySelectorAll("[data-handoff-id]");
    for (var i = 0; i < rows.length; i++) {
      found[rows[i].getAttribute("data-handoff-id")] = rows[i];
    }
    return found;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var elements = document.querySelectorAll("[data-announce]");
    Array.prototype.forEach.call(elements, function (element) {
      var status = document.getElementById(element.getAttribute("data-announce"));
      var known = ids(element);
      element.addEventListener("console:refreshed", function () {
        var now = ids(element);
        var fresh = 0;
        Object.keys(now).forEach(function (id) {
          if (!known[id]) {
            fresh += 1;
            now[id].classList.add("is-new");
          }
        });
        known = now;
        if (status && fresh) {
          status.textContent = fresh === 1 ? "1 new handoff" : fresh + " new handoffs";
        }
      });
    });
  });
})();

// A reply form: choosing a canned reply fills the reply box and ticks "holding
// message" when it is the holding one. Without this script the choice is sent as is.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var selects = document.querySelectorAll("select[data-fills]");
    Array.prototype.forEach.call(selects, function (select) {
      var box = document.getElementById(select.getAttribute("data-fills"));
      var holding = document.getElementById(select.getAttribute("data-holding-box"));
      select.addEventListener("change", function () {
        var option = select.options[select.selectedIndex];
        var text = option.getAttribute("data-text");
        if (box && text !== null) {
          box.value = text;
        }
        if (holding) {
          holding.checked = option.getAttribute("data-holding") === "yes";
        }
      });
    });
  });
})();
