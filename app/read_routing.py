"""The pieces of read-replica routing that the session class needs (app/replicas.py wires them to the app):
the replicas and which are being skipped, and the session that sends plain reads to one of them."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import CompoundSelect

log = logging.getLogger(__name__)

READ_FROM = "read_from_replica"  # Session.info: the replica this session's plain reads go to


@dataclass(eq=False)
class Replica:
    engine: Engine
    name: str
    skip_until: float = 0.0


@dataclass(eq=False)
class ReplicaSet:
    """The replicas of one app, and which of them are being skipped after a failure."""

    replicas: Sequence[Replica]
    retry_seconds: float
    clock: Callable[[], float] = time.monotonic
    _rng: random.Random = field(default_factory=random.Random)

    def choose(self) -> Replica | None:
        now = self.clock()
        healthy = [replica for replica in self.replicas if replica.skip_until <= now]
        return self._rng.choice(healthy) if healthy else None

    def failed(self, replica: Replica) -> None:
        if replica.skip_until <= self.clock():
            log.warning(
                "read replica %s failed; its reads go elsewhere for %s s", replica.name, self.retry_seconds
            )
        replica.skip_until = self.clock() + self.retry_seconds

    def is_skipped(self, replica: Replica) -> bool:
        return replica.skip_until > self.clock()

    def dispose(self) -> None:
        for replica in self.replicas:
            replica.engine.dispose()


def _plain_read(clause: Any) -> bool:
    if isinstance(clause, CompoundSelect):
        return True
    return isinstance(clause, Select) and clause._for_update_arg is None


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, sending plain reads to the replica in info[READ_FROM] while it has one."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        replica: Replica | None = self.info.get(READ_FROM)
        if replica is not None and bind is None:
            if not self._flushing and _plain_read(clause):
                return replica.engine
            # From the first write on, this session reads from the primary: it must see what it wrote.
            del self.info[READ_FROM]
        return super().get_bind(mapper, clause=clause, bind=bind, **kwargs)
