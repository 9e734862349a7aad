"""The embedded payments default: localstripe (a stateful fake Stripe server) in a child process.

Used when the STRIPE_* keys are unset outside production (see payments/gateway.py, which starts it on the first
payment request of the serving process, never from a CLI command). Like the embedded PostgreSQL:
- its state is kept under the instance folder (`instance/localstripe/state.pickle`, reused by the next run);
- it listens on a free port of 127.0.0.1 only: this process opens the socket and hands it to the child, so no
  other program can take the port between the choice and the start;
- it stops with the site: at exit (atexit), on SIGTERM (turned into a normal exit), and by itself when this
  process disappears without a word (the child watches its parent).

The child runs app/localstripe_child.py, which keeps localstripe's state where it is told (localstripe 1.15 itself
always writes /tmp/localstripe.pickle). Its requests and webhook deliveries are logged to
`instance/localstripe/localstripe.log`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from app.embedded_db import exit_on_sigterm

log = logging.getLogger(__name__)

CHILD_SCRIPT = Path(__file__).with_name("localstripe_child.py")
# localstripe accepts any key with these prefixes; they are not secrets.
SECRET_KEY = "sk_test_localstripe"  # noqa: S105 - localstripe takes any sk_ key
PUBLISHABLE_KEY = "pk_test_localstripe"
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 5.0


class EmbeddedStripeError(RuntimeError):
    """localstripe did not start, or refused a configuration request."""


class EmbeddedStripe:
    """One localstripe child process, its address, and its webhook registrations."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise EmbeddedStripeError("localstripe is not running")
        return f"http://127.0.0.1:{self.port}"

    @property
    def js_url(self) -> str:
        """Its Stripe.js, at the path localstripe serves it from."""
        return f"{self.base_url}/js.stripe.com/v3/"

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, port: int = 0) -> None:
        """Start the child and wait until it answers. port=0 picks a free one; a restart passes the old port, so
        pages and settings that hold the address keep working."""
        if self.running():
            return
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listening.bind(("127.0.0.1", port))
        except OSError:
            if not port:
                raise
            listening.bind(("127.0.0.1", 0))  # the old port was taken meanwhile
        listening.listen(128)
        self.port = listening.getsockname()[1]
        log_path = self.state_dir / "localstripe.log"
        with listening, log_path.open("ab") as log_file:
            self._process = subprocess.Popen(  # noqa: S603 - our own script, with the running interpreter
                [
                    sys.executable,
                    str(CHILD_SCRIPT),
                    "--fd",
                    str(listening.fileno()),
                    "--state",
                    str(self.state_dir / "state.pickle"),
                ],
                pass_fds=(listening.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the site, which then stops this child itself
            )
        self._wait_until_it_answers(log_path)
        log.info("embedded localstripe on %s (state in %s)", self.base_url, self.state_dir)

    def _wait_until_it_answers(self, log_path: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with urllib.request.urlopen(self.js_url, timeout=2) as response:  # noqa: S310 - our 127.0.0.1
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self._process is not None and self._process.poll() is not None:
                raise EmbeddedStripeError(f"localstripe exited at start-up; see {log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise EmbeddedStripeError(
                    f"localstripe did not answer within {START_TIMEOUT_SECONDS:.0f}s; see {log_path}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def register_webhook(self, name: str, url: str, secret: str, events: Iterable[str] | None = None) -> None:
        """Deliver events (all, or only `events`) to url, signed with secret, through /_config/webhooks/<name>.

        localstripe keeps registrations in memory only: register again after every start."""
        body = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        request = urllib.request.Request(  # noqa: S310 - our 127.0.0.1
            f"{self.base_url}/_config/webhooks/{name}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                pass
        except (urllib.error.URLError, OSError) as error:
            raise EmbeddedStripeError(f"localstripe refused the webhook {name} for {url}: {error}") from error


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


_server: EmbeddedStripe | None = None
_server_lock = threading.Lock()


def process_embedded_stripe(state_dir: Path) -> tuple[EmbeddedStripe, bool]:
    """This process's embedded server, started on first use (thread-safe), stopped when the process exits.
    Returns (server, started_now); the caller registers its webhook when started_now."""
    global _server
    with _server_lock:
        if _server is not None and _server.running():
            return _server, False
        server = _server or EmbeddedStripe(state_dir)
        exit_on_sigterm()
        server.start(port=server.port or 0)
        if _server is None:
            atexit.register(server.stop)
            _server = server
        return server, True


def process_embedded_stripe_running() -> bool:
    return _server is not None and _server.running()


def stop_process_embedded_stripe() -> None:
    """Stop this process's server now (the next payment request starts it again)."""
    with _server_lock:
        if _server is not None:
            _server.stop()


def instance_state_dir(instance_path: str | os.PathLike[str]) -> Path:
    return Path(instance_path) / "localstripe"
