"""Which Stripe the app talks to, and the one client it talks through.

PAYMENTS_MODE (app/config.py) is decided from the environment:
- "stripe": the three STRIPE_* keys are set. Stripe's own addresses, unless STRIPE_API_BASE/STRIPE_JS_URL say
  otherwise (the tests point them at their session's localstripe).
- "embedded": no keys, outside production. localstripe runs in a child process of the *serving* process, started
  on the first request that needs it (a payment page), never by `create_app`: flask CLI commands
  (`db upgrade`, `seed-demo`, ...) build the app too and must not each start one. At start-up it gets our
  webhook URL (`PUBLIC_URL`, or http://127.0.0.1:5000, + /webhooks/stripe) with a random secret.
- "off": no keys in production. Invoice pages say "Online payment is not available"; one line in the log says why.

Network calls have a short timeout and no automatic retries: localstripe ignores Idempotency-Key, so a retried
POST could create a second object there.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import stripe
from flask import Flask, current_app

from app.embedded_db import exit_on_sigterm
from app.embedded_stripe import (
    PUBLISHABLE_KEY,
    SECRET_KEY,
    instance_state_dir,
    process_embedded_stripe,
    process_embedded_stripe_running,
)

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/stripe"
# What the webhook handles (payments/webhooks.py); the events to enable in Stripe's dashboard.
HANDLED_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")
STRIPE_JS_URL = "https://js.stripe.com/v3/"
STRIPE_API_ORIGIN = "https://api.stripe.com"
DEVELOPMENT_SITE = "http://127.0.0.1:5000"
EMBEDDED_WEBHOOK_NAME = "breeder-portal"
HTTP_TIMEOUT_SECONDS = 20
EXTENSION = "payments_gateway"
EMBEDDED_SECRET = "payments_embedded_webhook_secret"  # noqa: S105 - an app.extensions key

_build_lock = threading.Lock()


class PaymentsOff(RuntimeError):
    """Online payment is turned off (production without Stripe keys)."""


@dataclass(frozen=True)
class Gateway:
    client: stripe.StripeClient
    publishable_key: str
    webhook_secret: str
    js_url: str
    api_origin: str
    embedded: bool

    def csp_sources(self) -> dict[str, tuple[str, ...]]:
        """What the payment page's Content-Security-Policy adds for Stripe.js: Stripe's script, API and frames
        (card fields and 3-D Secure live in frames on js.stripe.com and hooks.stripe.com); localstripe's Stripe.js
        draws plain inputs in the page and talks to its own origin only."""
        script_origin = _origin(self.js_url)
        if self.js_url == STRIPE_JS_URL:
            frames = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
            scripts = ("https://js.stripe.com", "https://*.js.stripe.com")
        else:
            frames, scripts = (), (script_origin,)
        return {"script-src": scripts, "connect-src": (self.api_origin,), "frame-src": frames}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def payments_enabled(app: Flask | None = None) -> bool:
    return (app or current_app).config["PAYMENTS_MODE"] != "off"


def _client(secret_key: str, api_base: str | None) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": api_base} if api_base else None,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=HTTP_TIMEOUT_SECONDS),
    )


def _configured_gateway(config) -> Gateway:
    api_base = config.get("STRIPE_API_BASE")
    return Gateway(
        client=_client(config["STRIPE_SECRET_KEY"], api_base),
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        webhook_secret=config["STRIPE_WEBHOOK_SECRET"],
        js_url=config.get("STRIPE_JS_URL") or STRIPE_JS_URL,
        api_origin=_origin(api_base) if api_base else STRIPE_API_ORIGIN,
        embedded=False,
    )


def embedded_webhook_url(app: Flask) -> str:
    return (app.config.get("PUBLIC_URL") or DEVELOPMENT_SITE) + WEBHOOK_PATH


def _embedded_gateway(app: Flask) -> Gateway:
    """Start (or find) this process's localstripe; register our webhook whenever it was just started (it keeps
    registrations in memory only). The secret is made once per app, so a restarted server signs alike."""
    server, started_now = process_embedded_stripe(instance_state_dir(app.instance_path))
    secret = app.extensions.setdefault(
        "payments_embedded_webhook_secret", "whsec_" + secrets.token_urlsafe(32)
    )
    if started_now:
        server.register_webhook(EMBEDDED_WEBHOOK_NAME, embedded_webhook_url(app), secret, HANDLED_EVENTS)
    return Gateway(
        client=_client(SECRET_KEY, server.base_url),
        publishable_key=PUBLISHABLE_KEY,
        webhook_secret=secret,
        js_url=server.js_url,
        api_origin=server.base_url,
        embedded=True,
    )


def gateway() -> Gateway:
    """The app's gateway, made on first use. PaymentsOff when online payment is turned off."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = app.config["PAYMENTS_MODE"]
    if mode == "off":
        raise PaymentsOff("Online payment is not available.")
    found: Gateway | None = app.extensions.get(EXTENSION)
    if _usable(found):
        return found  # type: ignore[return-value]
    with _build_lock:
        found = app.extensions.get(EXTENSION)
        if not _usable(found):
            found = _embedded_gateway(app) if mode == "embedded" else _configured_gateway(app.config)
            app.extensions[EXTENSION] = found
        return found  # type: ignore[return-value]


def webhook_secret() -> str | None:
    """The secret incoming webhooks are signed with, without starting anything: None while no embedded
    localstripe has been started by this app (then no event can be ours), or when payment is off."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = app.config["PAYMENTS_MODE"]
    if mode == "stripe":
        return app.config["STRIPE_WEBHOOK_SECRET"]
    if mode == "embedded":
        return app.extensions.get(EMBEDDED_SECRET)
    return None


def _usable(found: Gateway | None) -> bool:
    """Made, and (for the embedded server) still running: a crashed localstripe is started again."""
    return found is not None and (not found.embedded or process_embedded_stripe_running())


def init_app(app: Flask) -> None:
    logging.getLogger("stripe").setLevel(logging.WARNING)  # the SDK logs every request at INFO
    mode = app.config["PAYMENTS_MODE"]
    if mode == "off":
        log.warning(
            "Online payment is off: APP_ENV=production and STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and "
            "STRIPE_WEBHOOK_SECRET are unset; invoice pages say so and offer no Pay now button."
        )
    elif mode == "embedded":
        # The first payment request starts localstripe from a request thread, where no signal handler can be
        # installed; do it now, so SIGTERM stops the site (and with it localstripe) through atexit.
        exit_on_sigterm()
