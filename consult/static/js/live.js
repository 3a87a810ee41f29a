/* Live workshop sessions (no inline code: the CSP forbids it).
 *  - [data-live-results]: the projector's (and control page's) results region is fetched again
 *    every second from its data-results-url and swapped in, until the session has ended;
 *  - [data-live-phone]: a phone asks data-state-url every 2 seconds and reloads the page when
 *    the current question changes or the session ends.
 * Without JavaScript the projector reloads itself (<noscript> refresh) and the phone has a
 * "Check for the next question" link.
 */
(function () {
  "use strict";

  var RESULTS_EVERY = 1000;
  var STATE_EVERY = 2000;

  function pollResults(region) {
    var url = region.getAttribute("data-results-url");
    if (!url || region.hasAttribute("data-ended")) {
      return;
    }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("[data-live-results]");
          if (fresh) {
            fresh = document.importNode(fresh, true);
            region.replaceWith(fresh);
            region = fresh;
          }
          pollResults(region);
        })
        .catch(function () {
          pollResults(region);
        });
    }, RESULTS_EVERY);
  }

  function pollState(phone) {
    var url = phone.getAttribute("data-state-url");
    var shown = phone.getAttribute("data-question") || "";
    var page = phone.getAttribute("data-page-url");
    function check() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (state) {
          if (state && (state.state !== "running" || (state.question || "") !== shown)) {
            window.location.assign(page);
            return;
          }
          window.setTimeout(check, STATE_EVERY);
        })
        .catch(function () {
          window.setTimeout(check, STATE_EVERY);
        });
    }
    window.setTimeout(check, STATE_EVERY);
  }

  function start() {
    var regions = document.querySelectorAll("[data-live-results]");
    for (var i = 0; i < regions.length; i++) {
      pollResults(regions[i]);
    }
    var phone = document.querySelector("[data-live-phone]");
    if (phone) {
      pollState(phone);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
