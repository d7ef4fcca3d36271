"""Throwaway databases for the tests: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@dataclass
class TestDatabase:
    __test__ = False  # not a test class

    backend: str
    url: str
    admin_url: str | None = None
    name: str | None = None

    def drop(self) -> None:
        if self.backend != "postgresql" or self.admin_url is None:
            return
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        engine.dispose()


def create_test_database(backend: str, pg_url: str, folder: Path) -> TestDatabase:
    if backend == "sqlite":
        return TestDatabase("sqlite", f"sqlite:///{folder / 'portal.db'}")
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    return TestDatabase("postgresql", url, admin_url=pg_url, name=name)
