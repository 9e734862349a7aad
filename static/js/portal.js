// Client portal: a print button for invoices (shown only when JavaScript can run it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
