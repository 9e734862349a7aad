"""Where uploaded files live: a small interface (put, get, delete, url) with two backends.

- `FilesystemStorage` (the default): files under `instance/uploads` (`UPLOADS_DIR`), served by the app itself at
  `/media/<name>` (public photos only, see `media`) or by the views that check who may read them (attachments).
- `S3Storage`: any S3-compatible store, switched on by the `S3_*` settings (app/config.py: `s3_settings`).

Names are the storage's keys, like `photos/42/<sha256>.webp` or `attachments/7/93/<sha256>.pdf`: made by the
app, never from user input, and checked against NAME_RE before they reach a path or a bucket. A name is never
reused for other bytes (it carries the content's hash), so a public photo can be cached for a year.

A request that writes files and then commits uses `staged_writes`: the files it wrote are deleted again unless
the request reaches `keep()` (after its commit), so a refused or failed save leaves no orphan file behind.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, abort, current_app, request, url_for

log = logging.getLogger(__name__)

EXTENSION = "storage"
PUBLIC_PREFIX = "photos/"
# Lower-case letters, digits, dashes and dots in slash-separated parts; no part starts with a dot.
NAME_RE = re.compile(r"^(?:[a-z0-9][a-z0-9._-]{0,99}/){1,4}[a-z0-9][a-z0-9._-]{0,99}$")
CONTENT_TYPES = {
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
}
PUBLIC_CACHE = "public, max-age=31536000, immutable"


class StorageError(RuntimeError):
    """The store could not do what was asked (not: the file is missing, which get() answers with None)."""


def check_name(name: str) -> str:
    if not NAME_RE.match(name) or ".." in name or Path(name).suffix not in CONTENT_TYPES:
        raise ValueError(f"not a storage name: {name!r}")
    return name


def content_type_of(name: str) -> str:
    return CONTENT_TYPES[Path(name).suffix]


def is_public(name: str) -> bool:
    return name.startswith(PUBLIC_PREFIX)


class Storage(Protocol):
    def put(self, name: str, data: bytes) -> None: ...
    def get(self, name: str) -> bytes | None: ...
    def delete(self, name: str) -> None: ...
    def url(self, name: str) -> str | None:
        """A public address of its own for this file, or None when the app serves it."""
        ...


class FilesystemStorage:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then renamed into place: a reader never sees half a file.
        descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as draft_file:
                draft_file.write(data)
            os.chmod(draft, 0o644)
            os.replace(draft, path)
        except BaseException:
            Path(draft).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def url(self, name: str) -> str | None:
        return None


class S3Storage:
    """Objects in one bucket, under an optional key prefix. Photos (`photos/...`) are read by browsers straight
    from `S3_PUBLIC_URL` when it is set (a CDN or the bucket's public address, which must then allow reading
    `photos/*` and nothing else); otherwise the app serves them too. Attachments are only ever read through the
    app, which checks who asks."""

    def __init__(self, settings: dict[str, Any], client: Any = None) -> None:
        self.bucket = settings["bucket"]
        self.prefix = settings.get("prefix") or ""
        self.public_url = settings.get("public_url")
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=settings.get("endpoint_url"),
                region_name=settings.get("region"),
                aws_access_key_id=settings.get("access_key_id"),
                aws_secret_access_key=settings.get("secret_access_key"),
                config=Config(
                    connect_timeout=5,
                    read_timeout=30,
                    retries={"max_attempts": 3, "mode": "standard"},
                    s3={"addressing_style": settings.get("addressing_style") or "auto"},
                ),
            )
        self.client = client

    def _key(self, name: str) -> str:
        return self.prefix + check_name(name)

    def put(self, name: str, data: bytes) -> None:
        extra = {"CacheControl": PUBLIC_CACHE} if is_public(name) else {"CacheControl": "private, no-store"}
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(name), Body=data, ContentType=content_type_of(name), **extra
            )
        except Exception as error:
            raise StorageError(f"could not store {name}: {error}") from error

    def get(self, name: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except self.client.exceptions.NoSuchKey:
            return None
        except Exception as error:
            raise StorageError(f"could not read {name}: {error}") from error
        return answer["Body"].read()

    def delete(self, name: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except Exception as error:
            raise StorageError(f"could not delete {name}: {error}") from error

    def url(self, name: str) -> str | None:
        if self.public_url and is_public(name):
            return f"{self.public_url}/{self._key(name)}"
        return None


def make_storage(config: dict[str, Any]) -> Storage:
    if config.get("S3"):
        return S3Storage(config["S3"])
    return FilesystemStorage(config["UPLOADS_DIR"])


def storage() -> Storage:
    return current_app.extensions[EXTENSION]


def media_url(name: str) -> str:
    """The address a browser loads a public file from: the store's own, or the app's `/media/...`."""
    return storage().url(name) or url_for("media", name=name)


def delete_quietly(names: list[str]) -> None:
    """Delete files no row refers to any more; a failure is logged (an orphan file harms no one)."""
    for name in names:
        try:
            storage().delete(name)
        except Exception:
            log.exception("could not delete %s from storage", name)


class StagedWrites:
    """Files written for a transaction that has not committed yet."""

    def __init__(self, store: Storage) -> None:
        self.store = store
        self.written: list[str] = []
        self.kept = False

    def put(self, name: str, data: bytes) -> None:
        self.written.append(name)
        self.store.put(name, data)

    def keep(self) -> None:
        """Call right after the commit that made rows point at these files."""
        self.kept = True


@contextmanager
def staged_writes() -> Iterator[StagedWrites]:
    """`with staged_writes() as files: files.put(...); db.session.commit(); files.keep()`: on any way out
    before keep() (an exception, a refusal, a failed commit) the files written are deleted."""
    staged = StagedWrites(storage())
    try:
        yield staged
    finally:
        if not staged.kept:
            delete_quietly(staged.written)


def serve_media(name: str) -> Response:
    """A public photo, from whichever store holds it: the right type, never sniffed, cached for a year (its
    name changes whenever its bytes would)."""
    try:
        check_name(name)
    except ValueError:
        abort(404)
    if not is_public(name):
        abort(404)
    data = storage().get(name)
    if data is None:
        abort(404)
    response = Response(data, mimetype=content_type_of(name))
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(Path(name).stem)
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = make_storage(app.config)
    app.add_url_rule("/media/<path:name>", endpoint="media", view_func=serve_media, methods=["GET"])
    app.add_template_global(media_url)
