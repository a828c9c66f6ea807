// The sandbox page's live refresh: every 2 seconds the panes' changing parts are
// fetched from the server (data-world on .sb-panes) and each [data-region] whose HTML
// changed is replaced, unless someone is typing in it. The page works without it.
(function () {
  "use strict";

  function refresh(url) {
    if (document.hidden) {
      return Promise.resolve(true);
    }
    return fetch(url, {
      credentials: "same-origin",
      headers: { "X-Console-Poll": "1" },
      redirect: "manual",
    })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) {
          return false; // signed out: stop polling
        }
        return response.ok ? response.text().then(function (text) { apply(text); return true; }) : true;
      })
      .catch(function () {
        return true; // the staff app is restarting: try again
      });
  }

  function apply(text) {
    var fetched = document.createElement("template");
    fetched.innerHTML = text;
    var regions = fetched.content.querySelectorAll("[data-region]");
    for (var i = 0; i < regions.length; i++) {
      var name = regions[i].getAttribute("data-region");
      var shown = document.querySelector('main [data-region="' + name + '"]');
      if (!shown || shown.contains(document.activeElement)) {
        continue;
      }
      if (shown.innerHTML !== regions[i].innerHTML) {
        shown.innerHTML = regions[i].innerHTML;
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panes = document.querySelector("[data-world]");
    if (!panes) {
      return;
    }
    var url = panes.getAttribute("data-world");
    function tick() {
      refresh(url).then(function (again) {
        if (again) {
          window.setTimeout(tick, 2000);
        }
      });
    }
    window.setTimeout(tick, 2000);
  });
})();
