"""The bench's database: BENCH_DATABASE_URL (its owner's URL), else an embedded server under instance/."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from app import PROJECT_ROOT

BENCH_PGDATA = PROJECT_ROOT / "instance" / "bench-pgdata"


def owner_url() -> str:
    """The SQLAlchemy URL (psycopg driver) of the bench database, as the role that owns its tables."""
    url = (os.environ.get("BENCH_DATABASE_URL") or "").strip()
    if not url:
        from app.embedded_db import start_embedded_postgres

        return start_embedded_postgres(Path(BENCH_PGDATA), database="breeder_bench")
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
