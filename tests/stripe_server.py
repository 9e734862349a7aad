"""The tests' Stripe: one real localstripe per test session (per xdist worker), started the way the app starts its
embedded one (app/embedded_stripe.py), in a temporary folder. Never a mock of the SDK.

The unit tests' database work is rolled back on one connection, so localstripe cannot deliver webhooks into it;
those tests take the event localstripe recorded (GET /v1/events) and deliver it themselves, signed the way
localstripe signs (t=<created>,v1=HMAC-SHA256 of "<t>.<body>"). The end-to-end tests register their live
server with localstripe, which then delivers for real.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import stripe
from sqlalchemy import select

from app.embedded_stripe import PUBLISHABLE_KEY, SECRET_KEY, EmbeddedStripe, new_webhook_secret
from app.extensions import db
from models import Invoice, Payment
from payments.gateway import WEBHOOK_PATH

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"
CARD_AUTHENTICATE = "4000002500003155"


class LocalStripe:
    def __init__(self, state_dir: Path) -> None:
        self.server = EmbeddedStripe(state_dir)
        self.webhook_secret = new_webhook_secret()
        self._webhooks: dict[str, str] = {}

    def start(self) -> None:
        """Start, or start again on the same port with the same objects (its state file is kept) and webhooks
        (localstripe keeps those in memory only)."""
        self.server.start(port=self.server.port or 0)
        for name, site in self._webhooks.items():
            self.server.register_webhook(name, site + WEBHOOK_PATH, self.webhook_secret)

    def stop(self) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def app_config(self) -> dict[str, Any]:
        """create_app overrides: real-Stripe mode, pointed at this server."""
        return {
            "PAYMENTS_MODE": "stripe",
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": self.webhook_secret,
            "STRIPE_API_BASE": self.server.base_url,
            "STRIPE_JS_URL": self.server.js_url,
        }

    def register(self, site: str, name: str) -> None:
        """Have localstripe deliver every event to site's webhook (a live server's)."""
        self._webhooks[name] = site
        self.server.register_webhook(name, site + WEBHOOK_PATH, self.webhook_secret)

    @property
    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.base_url}, max_network_retries=0)

    def token(self, number: str = CARD_OK) -> str:
        return card_token(self.base_url, number)

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """Stripe unreachable for the block; started again after it, on the same port with the same objects."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def authenticate(self, intent_id: str, client_secret: str, success: bool = True) -> dict:
        """What localstripe's stripe.confirmCardPayment does after its 3-D Secure dialog."""
        body = json.dumps({"key": PUBLISHABLE_KEY, "client_secret": client_secret}).encode()
        request = urllib.request.Request(  # noqa: S310
            f"{self.base_url}/v1/payment_intents/{intent_id}/_authenticate?success={str(success).lower()}",
            data=body,
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def _list(self, path: str, **query: str) -> list[dict]:
        """Every object of a list endpoint. localstripe lists oldest first, 10 at a time by default (real Stripe:
        newest first), so page through with starting_after."""
        found: list[dict] = []
        while True:
            params = urllib.parse.urlencode(
                {"limit": 100, **query, **({"starting_after": found[-1]["id"]} if found else {})}
            )
            request = urllib.request.Request(  # noqa: S310
                f"{self.base_url}{path}?{params}", headers={"Authorization": f"Bearer {SECRET_KEY}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our 127.0.0.1
                page = json.loads(response.read())
            found.extend(page["data"])
            if not page["has_more"]:
                return found

    def intents_for_invoice(self, number: str) -> list[dict]:
        return [i for i in self._list("/v1/payment_intents") if i["metadata"].get("invoice_number") == number]

    def event_body(self, intent_id: str, event_type: str, wait: float = 5.0) -> bytes:
        """The JSON body of the event localstripe recorded for this intent, as it would deliver it."""
        deadline = time.monotonic() + wait
        while True:
            for event in self._list("/v1/events", type=event_type):
                if event["data"]["object"]["id"] == intent_id:
                    return json.dumps(event, indent=2, sort_keys=True).encode()
            if time.monotonic() > deadline:
                raise AssertionError(f"localstripe recorded no {event_type} for {intent_id}")
            time.sleep(0.1)

    def signature(self, body: bytes, secret: str | None = None, timestamp: int | None = None) -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = f"{timestamp}.".encode() + body
        digest = hmac.new((secret or self.webhook_secret).encode(), signed, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"


def card_token(base_url: str, number: str = CARD_OK) -> str:
    """What Stripe.js createToken does in the page: POST /v1/tokens with the publishable key."""
    body = f"card[number]={number}&card[exp_month]=12&card[exp_year]=2030&card[cvc]=123&key={PUBLISHABLE_KEY}"
    request = urllib.request.Request(f"{base_url}/v1/tokens", data=body.encode())  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our 127.0.0.1
        return json.loads(response.read())["id"]


def unconfirmed_intent(client: stripe.StripeClient, token: str, amount: int, **params: Any):
    """Our path up to the confirm: a Customer with the card token as its source, then a PaymentIntent for that
    customer and card. Returns (customer, intent)."""
    customer = client.v1.customers.create(params={"source": token, "expand": ["default_source"]})
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": customer.id,
            "payment_method": customer.default_source.id,
            "payment_method_types": ["card"],
            **params,
        }
    )
    return customer, intent


def event_payload(event_id: str, event_type: str, intent: dict[str, Any]) -> bytes:
    """An event body of our own making, for what localstripe cannot send (unknown types, other amounts)."""
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2017-08-15",
        "data": {"object": {"object": "payment_intent", **intent}},
    }
    return json.dumps(body).encode()


def online_payments(invoice: Invoice) -> list[Payment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.invoice_id == invoice.id, Payment.stripe_payment_intent_id.is_not(None))
            .order_by(Payment.id)
        )
    )
