// After htmx swaps a list the reader asked for (a filter tab, a page link), keep the keyboard where they were and
// tell screen readers what changed. Regions opt in with data-swap-region; polling swaps never move focus.
// A file, not inline: the CSP forbids inline scripts.
(function () {
  "use strict";

  var pending = new WeakMap();

  document.addEventListener("htmx:beforeSwap", function (event) {
    var region = event.detail.target;
    if (!region || !region.hasAttribute || !region.hasAttribute("data-swap-region")) {
      return;
    }
    var trigger = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
    pending.set(event.detail.xhr, {
      id: region.id,
      fromTab: Boolean(trigger && trigger.closest && trigger.closest(".tabs")),
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var swap = pending.get(event.detail.xhr);
    if (!swap) {
      return;
    }
    pending.delete(event.detail.xhr);
    var region = document.getElementById(swap.id);
    if (!region) {
      return;
    }
    var target =
      (swap.fromTab && region.querySelector('.tabs [aria-current="page"]')) ||
      region.querySelector("[data-swap-heading]");
    if (target) {
      target.focus();
    }
    var status = document.getElementById("swap-status");
    if (status) {
      // Emptied first, so the same words twice in a row (page 2, back to page 1) are still announced.
      status.textContent = "";
      window.setTimeout(function () {
        status.textContent = region.getAttribute("data-announce") || "";
      }, 50);
    }
  });
})();
