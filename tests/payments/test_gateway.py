"""Which Stripe the app uses: real Stripe with the three keys, the embedded localstripe without them (started on
first use by the serving process, never by a command, and stopped with the site), and no online payment at all
in production without keys, said on the page and in one log line."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe

from app import create_app
from app.config import ConfigError, load_config
from app.embedded_stripe import process_embedded_stripe_running, stop_process_embedded_stripe
from payments.gateway import WEBHOOK_PATH, gateway
from tests.cli import ROOT, run_flask
from tests.stripe_server import card_token, unconfirmed_intent
from tests.test_config import _production_settings

UNREACHABLE = "postgresql+psycopg://user:pw@127.0.0.1:1/x"
KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_abc",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
}


@pytest.fixture
def no_keys(monkeypatch):
    for name in KEYS:
        monkeypatch.delenv(name, raising=False)


def test_the_mode_follows_the_keys_and_the_environment(monkeypatch, no_keys):
    assert load_config("development")["PAYMENTS_MODE"] == "embedded"
    _production_settings(monkeypatch)
    assert load_config("production")["PAYMENTS_MODE"] == "off"
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    assert (
        load_config("production")["PAYMENTS_MODE"] == load_config("development")["PAYMENTS_MODE"] == "stripe"
    )


def test_some_keys_without_the_others_refuse_to_start(monkeypatch, no_keys):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_abc")
    with pytest.raises(ConfigError, match="STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET missing"):
        load_config("development")


def test_a_key_of_the_wrong_kind_refuses_to_start(monkeypatch, no_keys):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "sk_test_swapped")
    with pytest.raises(ConfigError, match="STRIPE_PUBLISHABLE_KEY must start with 'pk_'"):
        load_config("development")


def test_production_without_keys_says_so_in_one_log_line(monkeypatch, no_keys, caplog):
    _production_settings(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="payments.gateway"):
        app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="production")
    lines = [r.getMessage() for r in caplog.records if r.name == "payments.gateway"]
    assert len(lines) == 1 and lines[0].startswith("Online payment is off")
    assert app.config["PAYMENTS_MODE"] == "off"


def test_with_payment_off_the_invoice_says_so_and_offers_no_pay_now(app, client, monkeypatch, login_as):
    from tests.factories import ContactFactory, InvoiceFactory, PartyFactory, TenantFactory

    contact = ContactFactory(party=PartyFactory(tenant=TenantFactory(slug="sunny")))
    invoice = InvoiceFactory(client_party=contact.party)
    login_as(contact)
    monkeypatch.setitem(app.config, "PAYMENTS_MODE", "off")

    page = client.get(f"/portal/sunny/invoices/{invoice.id}").get_data(as_text=True)
    pay = client.get(f"/portal/sunny/invoices/{invoice.id}/pay")

    assert "Online payment is not available." in page and "Pay now" not in page
    assert pay.status_code == 503 and "Online payment is not available." in pay.get_data(as_text=True)
    assert client.post("/webhooks/stripe", data=b"{}").status_code == 404


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Stripe-Signature"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_embedded_server_starts_on_first_use_keeps_its_state_in_the_instance_folder_and_signs_webhooks(
    monkeypatch, no_keys, tmp_path
):
    receiver = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PUBLIC_URL", f"http://127.0.0.1:{receiver.server_port}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="development")
    try:
        assert app.config["PAYMENTS_MODE"] == "embedded"
        assert (
            not process_embedded_stripe_running()
        )  # building the app (as every command does) starts nothing
        with app.app_context():
            found = gateway()
            assert process_embedded_stripe_running() and found.embedded
            assert found.api_origin.startswith("http://127.0.0.1:") and found.js_url.endswith(
                "/js.stripe.com/v3/"
            )
            assert gateway() is found  # one per process
            _, intent = unconfirmed_intent(found.client, card_token(found.api_origin), 500)
            found.client.v1.payment_intents.confirm(intent.id)
            _wait_for(
                lambda: any(
                    json.loads(body)["type"] == "payment_intent.succeeded"
                    for _, _, body in _Receiver.received
                )
            )
            path, signature, body = next(r for r in _Receiver.received if b"payment_intent.succeeded" in r[2])
            assert path == WEBHOOK_PATH
            assert (
                stripe.Webhook.construct_event(body, signature, found.webhook_secret).data.object.id
                == intent.id
            )
            assert {json.loads(b)["type"] for _, _, b in _Receiver.received} <= {"payment_intent.succeeded"}
            assert (tmp_path / "localstripe" / "state.pickle").exists()

            # Stopped (or crashed), it is started again on the same port with its state, and registered again.
            port = found.api_origin
            stop_process_embedded_stripe()
            assert not process_embedded_stripe_running()
            again = gateway()
            assert again.api_origin == port and again.webhook_secret == found.webhook_secret
            assert again.client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    finally:
        stop_process_embedded_stripe()
        receiver.shutdown()


def test_a_webhook_starts_nothing_and_is_refused_before_the_embedded_server_runs(
    monkeypatch, no_keys, tmp_path
):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"SQLALCHEMY_DATABASE_URI": UNREACHABLE}, env_name="development")
    response = app.test_client().post(
        "/webhooks/stripe", data=b"{}", headers={"Stripe-Signature": "t=1,v1=x"}
    )
    assert response.status_code == 404
    assert not process_embedded_stripe_running() and not (tmp_path / "localstripe").exists()


def test_a_command_does_not_start_the_embedded_server(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in (*KEYS, "APP_ENV")}
    result = run_flask({**env, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": UNREACHABLE}, "check-db")
    assert result.returncode != 0  # the database is unreachable; that is all it tried
    assert not (tmp_path / "localstripe").exists()


SITE = """
import sys, time
from app import create_app
from payments.gateway import gateway
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]}, env_name="development")
with app.app_context():
    print(gateway().api_origin.rsplit(":", 1)[1], flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_the_embedded_server_stops_with_the_site(tmp_path, how):
    env = {k: v for k, v in os.environ.items() if k not in KEYS} | {"INSTANCE_PATH": str(tmp_path)}
    site = subprocess.Popen(  # noqa: S603 - our own interpreter and snippet
        [sys.executable, "-c", SITE, UNREACHABLE], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(site.stdout.readline())
        assert _answers(port)
        site.send_signal(how)
        site.wait(timeout=10)
        _wait_for(
            lambda: not _answers(port)
        )  # SIGTERM: at exit; SIGKILL: the child notices its parent is gone
    finally:
        site.kill()
        site.wait()


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
