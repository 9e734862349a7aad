"""The embedded localstripe server, run as a script in a child process by app/embedded_stripe.py.

Never imported by the app (it would import localstripe's aiohttp server into the site's process). It differs
from `localstripe --port N` in three ways, each because of what localstripe 1.15 does on its own:
- its state goes to the file given with --state (under instance/), written whole and then renamed into place;
  localstripe's own Store always uses /tmp/localstripe.pickle, shared by every run and every user of the machine;
- it serves on the socket the parent opened on 127.0.0.1 and passed as --fd (no race for a free port);
  localstripe's own start() listens on every interface, IPv4 and IPv6;
- it exits when its parent goes away, even when the parent was killed without a chance to stop it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pickle
import signal
import socket
import sys
from pathlib import Path

PARENT_CHECK_SECONDS = 1.0


def _keep_state_in(path: Path) -> None:
    from localstripe import resources

    def try_load_from_disk(store) -> None:
        try:
            with path.open("rb") as state:
                old = pickle.load(state)  # noqa: S301 - our own file, in the instance folder, mode 0600
        except FileNotFoundError:
            return
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError) as error:
            logging.getLogger("localstripe").warning(
                "state in %s unreadable (%s); starting empty", path, error
            )
            return
        store.clear()
        store.update(old)

    def dump_to_disk(store) -> None:
        # A plain dict: unpickling localstripe's Store would call its __setitem__, which saves, once per item.
        draft = path.with_name(path.name + ".tmp")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as state:
            pickle.dump(dict(store), state, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(draft, path)

    resources.Store.try_load_from_disk = try_load_from_disk
    resources.Store.dump_to_disk = dump_to_disk


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="listening socket opened by the parent")
    parser.add_argument("--state", type=Path, required=True, help="file holding localstripe's objects")
    args = parser.parse_args(argv)

    _keep_state_in(args.state)
    from aiohttp import web
    from localstripe import resources, server

    resources.store.try_load_from_disk()
    listening = socket.socket(fileno=args.fd)
    parent = os.getppid()

    async def watch_parent(_app) -> None:
        async def watch() -> None:
            while os.getppid() == parent:
                await asyncio.sleep(PARENT_CHECK_SECONDS)
            os.kill(os.getpid(), signal.SIGTERM)  # aiohttp's run_app turns SIGTERM into a clean shutdown

        _app["parent_watch"] = asyncio.get_running_loop().create_task(watch())

    server.app.on_startup.append(watch_parent)
    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    access.addHandler(handler)
    web.run_app(server.app, sock=listening, access_log=access, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
