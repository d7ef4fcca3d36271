"""The Alembic migrations build exactly the models' schema, and undo it completely."""

from __future__ import annotations

import ast
import pprint
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

import portal.models  # noqa: F401  (registers every table on Base.metadata)
from portal import PROJECT_ROOT, migrate
from portal.db import Base
from tests.databases import TestDatabase

VERSIONS = PROJECT_ROOT / "migrations" / "versions"
REVISION_FILES = sorted(path for path in VERSIONS.glob("*.py") if path.name != "__init__.py")
DATE_PREFIX = re.compile(r"^(\d{8})_\w+\.py$")


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _audit_triggers(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                "AND tgrelid = to_regclass('audit_entry')"
            )
        )
        return {row[0] for row in rows}


def _append_only_function_exists(engine: Engine) -> bool:
    with engine.connect() as connection:
        count = connection.scalar(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'audit_entry_append_only'")
        )
        return bool(count)


def test_migrations_match_the_models_and_downgrade_to_nothing(
    new_database: Callable[[], TestDatabase],
) -> None:
    database = new_database()
    migrate.upgrade(database.url)
    engine = create_engine(database.url)
    postgresql = engine.dialect.name == "postgresql"
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], "models and migrations differ:\n" + pprint.pformat(diff)
        assert _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}
        if postgresql:
            assert _audit_triggers(engine) == {"audit_entry_append_only", "audit_entry_no_truncate"}

        migrate.downgrade(database.url, "base")
        assert _tables(engine) == {"alembic_version"}
        if postgresql:
            assert not _append_only_function_exists(engine)

        migrate.upgrade(database.url)
        assert _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}
        if postgresql:
            assert _audit_triggers(engine) == {"audit_entry_append_only", "audit_entry_no_truncate"}
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        assert set(heads) == set(_script().get_heads())
    finally:
        engine.dispose()


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))


def test_one_linear_history() -> None:
    script = _script()
    assert len(script.get_heads()) == 1, script.get_heads()
    revisions = list(script.walk_revisions())
    assert len(revisions) == len(REVISION_FILES)
    assert [r for r in revisions if r.down_revision is None] == [revisions[-1]]


def test_there_are_revision_files() -> None:
    assert REVISION_FILES, VERSIONS


@pytest.mark.parametrize("path", REVISION_FILES, ids=lambda path: path.name)
def test_revision_file_is_dated_and_can_be_undone(path: Path) -> None:
    match = DATE_PREFIX.match(path.name)
    assert match, f"{path.name}: name must start with YYYYMMDD_"
    datetime.strptime(match.group(1), "%Y%m%d")  # a real date

    module = ast.parse(path.read_text(encoding="utf-8"))
    functions = {
        node.name: node
        for node in module.body
        if isinstance(node, ast.FunctionDef) and node.name in ("upgrade", "downgrade")
    }
    assert set(functions) == {"upgrade", "downgrade"}, path.name
    body = list(functions["downgrade"].body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring is not a statement
    does_nothing = all(
        isinstance(node, ast.Pass)
        or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        for node in body
    )
    assert not does_nothing, f"{path.name}: downgrade() does nothing"
