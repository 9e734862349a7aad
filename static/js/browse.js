// Listing browser behaviour htmx attributes cannot express. A file, not inline: the CSP forbids inline scripts.
(function () {
  "use strict";

  function browseForm() {
    return document.querySelector("form.browse-form");
  }

  // Wide screens have room for the filters: show them open. Phones keep results first, behind "Filters (n)".
  var filtersBox = document.querySelector("details.browse-filters");
  if (filtersBox && window.matchMedia("(min-width: 641px)").matches) {
    filtersBox.open = true;
  }

  // Empty filters add nothing to the address: keep pushed URLs short and shareable, like "/listings?q=stud".
  document.addEventListener("htmx:configRequest", function (event) {
    var form = browseForm();
    if (!form || event.detail.verb !== "get" || !form.contains(event.detail.elt)) {
      return;
    }
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.value === "") {
        delete event.detail.parameters[field.name];
      }
    });
  });

  // A ZIP code or distance that cannot be used comes back as 422 with its message: show it like any result.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 422 && target && target.id === "results") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // "Filters (n)" counts the filters in use, as the server does on a full page: every field of the box that is
  // set, but the radius (it has a default and means nothing without a ZIP code).
  function countFilters() {
    var box = document.querySelector("details.browse-filters");
    var summary = box && box.querySelector("summary");
    if (!summary) {
      return;
    }
    var used = Array.prototype.filter.call(box.querySelectorAll("input, select"), function (field) {
      if (!field.name || field.name === "within") {
        return false;
      }
      return field.type === "checkbox" ? field.checked : field.value !== "";
    }).length;
    summary.textContent = used ? "Filters (" + used + ")" : "Filters";
  }

  // Screen readers hear how many listings match after each live update, not the whole list read out again.
  document.addEventListener("htmx:afterSwap", function (event) {
    countFilters();
    var status = document.getElementById("results-status");
    var summary = document.querySelector("#results .results-summary");
    if (status && summary && event.detail.target && event.detail.target.id === "results") {
      status.textContent = summary.textContent.replace(/\s+/g, " ").trim();
    }
  });

  // Back and Forward restore htmx's copy of the results, but the copy holds the form as first served, not as the
  // visitor left it: fill the form from the address, which is what produced those results.
  document.addEventListener("htmx:historyRestore", function () {
    var form = browseForm();
    if (!form) {
      return;
    }
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.type === "checkbox") {
        field.checked = params.get(field.name) === field.value;
      } else if (field.name && (field.tagName === "INPUT" || field.tagName === "SELECT")) {
        field.value = params.get(field.name) || "";
      }
    });
  });
})();
