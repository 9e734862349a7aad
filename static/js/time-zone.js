// Sign-in forms tell the server the browser's time zone, so pages can show times on the reader's clock.
// Without JavaScript the field stays empty and times are shown in UTC, saying so.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  document.querySelectorAll('input[name="time_zone"]').forEach(function (field) {
    field.value = zone || "";
  });
})();
