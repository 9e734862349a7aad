"""Online card payments through Stripe, for any invoice: the gateway (which Stripe, the embedded localstripe),
starting a payment (service.py), recording its outcome (settlement.py), and the webhook (webhooks.py).

The pages that start a payment belong to each face (portal/pay/ today); this package owns everything they share
and the one route that belongs to neither: POST /webhooks/stripe.
"""

from flask import Blueprint, Flask

bp = Blueprint("payments", __name__)


def init_app(app: Flask) -> None:
    from app.extensions import csrf
    from payments import gateway, webhooks

    gateway.init_app(app)
    app.add_template_global(gateway.payments_enabled, "online_payment_available")
    csrf.exempt(webhooks.stripe_webhook)  # Stripe signs its requests; it cannot send our CSRF token
    app.register_blueprint(bp)
