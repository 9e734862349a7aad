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

  // A refused reply's message ("Write a message first.") is about that attempt: once the reader types, or new
  // messages arrive and the conversation moves on, it is stale, so it goes, with the field's invalid marks.
  function clearReplyError() {
    var error = document.getElementById("reply-error");
    if (!error) {
      return;
    }
    var field = error.closest(".field");
    if (field) {
      field.classList.remove("field-invalid");
    }
    var body = document.getElementById("reply-body");
    if (body) {
      body.removeAttribute("aria-invalid");
      body.removeAttribute("aria-describedby");
    }
    error.remove();
  }
  document.addEventListener("input", function (event) {
    if (event.target && event.target.id === "reply-body") {
      clearReplyError();
    }
  });

  // New messages arrive out of band at the end of the list; keep them in view. htmx fires this on each element
  // it added, and names the element they went into in detail.target.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "messages") {
      showLatest();
      clearReplyError();
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
