// "Pay now": Stripe.js turns the card into a token in the browser (the card number never reaches our server),
// the form then posts the token and the amount. When the server answers that the card asks for authentication,
// the page carries the PaymentIntent's client secret and this runs stripe.confirmCardPayment with it.
// Works with real Stripe.js and with localstripe's (the embedded default), which draws plain inputs instead.
(function () {
  "use strict";
  var form = document.querySelector("form[data-stripe-key]");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var stripe = window.Stripe(form.dataset.stripeKey);
  var errors = document.getElementById("card-errors");
  var button = form.querySelector("[data-pay-button]");
  var token = form.querySelector("input[name=stripe_token]");
  var label = button.textContent;

  function busy(on) {
    button.disabled = on;
    button.textContent = on ? "Processing…" : label;
  }

  function show(error) {
    // Stripe's own errors carry a type and a message meant for the payer; anything else is ours to word.
    var message = error && error.type && error.message ? error.message : "Check your card details and try again.";
    errors.textContent = error ? message : "";
  }

  var card = stripe.elements().create("card");
  card.mount("#card-element");
  card.on("change", function (event) {
    show(event && event.error ? event.error : null);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    busy(true);
    show(null);
    stripe.createToken(card).then(function (result) {
      if (result.error || !result.token) {
        show(result.error || {});
        busy(false);
        return;
      }
      token.value = result.token.id;
      form.submit();
    });
  });

  var secret = form.dataset.clientSecret;
  if (secret) {
    busy(true);
    stripe.confirmCardPayment(secret).then(function (result) {
      if (result.error) {
        show(result.error.message ? { type: "card_error", message: result.error.message } : {});
        busy(false);
        return;
      }
      window.location.assign(form.dataset.authenticatedUrl);
    });
  }
})();
