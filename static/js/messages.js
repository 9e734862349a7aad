// Thread page behaviour htmx attributes cannot express. A file, not inline: the CSP forbids inline scripts.
(function () {
  "use strict";

  // A refused reply (422 invalid, 429 too fast) comes back as the form with its message: show it in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ((status === 422 || status === 429) && event.detail.elt.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function showLatest() {
    var list = document.getElementById("messages");
    if (list && list.lastElementChild) {
      list.lastElementChild.scrollIntoView({ block: "nearest" });
    }
  }

  // New messages arrive out of band at the end of the list; keep them in view.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    if (event.target && event.target.id === "messages") {
      showLatest();
    }
  });

  // "Load earlier" replaces its own link: give keyboard and screen reader users a place to continue from, the
  // message just before the one that was first, instead of losing focus to the top of the page.
  var firstBeforeLoad = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.closest("#load-earlier")) {
      firstBeforeLoad = document.querySelector("#messages > .message");
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!firstBeforeLoad) {
      return;
    }
    var previous = firstBeforeLoad.previousElementSibling;
    firstBeforeLoad = null;
    if (previous && previous.classList.contains("message")) {
      previous.setAttribute("tabindex", "-1");
      previous.focus();
    }
  });

  // Open a conversation at its latest message (not when browsing earlier ones).
  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("thread-cursor")) {
      showLatest();
    }
  });
})();
