"""Model instances from a hand-written SELECT, for the few reads every service call makes.

The ORM compiles a query afresh on every call; for a wide row with joins (a case with its
department, region and applicant) the compiling costs more than PostgreSQL takes to answer. A
`Columns` is one model's column list under a table alias, built once per process: its `sql` goes
into a SELECT written by hand, and `build()` turns that part of a result row into an instance the
way the ORM does (each field's database converters: JSON, encrypted columns, SQLite's dates), as
loaded from the database (`Model.from_db`), so a later `save(update_fields=…)` behaves as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models


class Columns:
    def __init__(self, model: type[models.Model], alias: str) -> None:
        quote = connection.ops.quote_name
        self.model = model
        fields = model._meta.concrete_fields
        self.width = len(fields)
        self.attnames = [f.attname for f in fields]
        self.sql = ", ".join(f"{alias}.{quote(f.column)}" for f in fields)
        self.converters: list[tuple[int, Any, list]] = []
        for i, f in enumerate(fields):
            col = f.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if found:
                self.converters.append((i, col, found))

    def build(self, row: Sequence[Any], start: int = 0) -> models.Model:
        """The instance from `row[start:start + width]`."""
        values = list(row[start:start + self.width])
        for i, col, converters in self.converters:
            value = values[i]
            for converter in converters:
                value = converter(value, col, connection)
            values[i] = value
        return self.model.from_db(connection.alias, self.attnames, values)


@lru_cache(maxsize=64)
def columns(model: type[models.Model], alias: str, vendor: str) -> Columns:
    """The cached `Columns` of `model` under `alias` (per database vendor: quoting and converters differ)."""
    return Columns(model, alias)


def for_update(of: str) -> str:
    """` FOR UPDATE OF <alias>` where the database locks rows (PostgreSQL); SQLite has one writer."""
    return f" FOR UPDATE OF {of}" if connection.features.has_select_for_update_of else (
        " FOR UPDATE" if connection.features.has_select_for_update else "")


def first(model: type[models.Model], where: str, params: Sequence[Any], *, order_by: str = "t.id") -> Any:
    """The first row of `model` (alias `t`) matching `where`, as an instance, or None: for the
    single-row lookups a service call makes on its way (a department's signing key, a licence
    type), without the ORM compiling the same statement again on every call."""
    c = columns(model, "t", connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {c.sql} FROM {connection.ops.quote_name(model._meta.db_table)} t WHERE {where}"
                       f" ORDER BY {order_by} LIMIT 1", list(params))
        row = cursor.fetchone()
    return None if row is None else c.build(row)


def exists(table: str, where: str, params: Sequence[Any]) -> bool:
    """Whether a row of `table` matches `where` (plain SQL, as `first`)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} WHERE {where} LIMIT 1", list(params))
        return cursor.fetchone() is not None


def server_binds_parameters(db: Any = connection) -> bool:
    """Whether `db` (the default connection) is PostgreSQL binding parameters on the server
    (config/env.py, `DB_SERVER_SIDE_BINDING`): then psycopg can pipeline and prepare statements."""
    return db.vendor == "postgresql" and bool(db.settings_dict["OPTIONS"].get("server_side_binding"))


def fetch_together(statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple]]:
    """The rows of several statements, run in order in one round trip on PostgreSQL (psycopg's
    pipeline, when the server binds the parameters: config/env.py), one by one elsewhere. For the
    reads a service call makes before it decides anything, whose parameters it knows up front: the
    transaction's BEGIN travels with them too."""
    if len(statements) < 2 or not server_binds_parameters():
        results = []
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, list(params))
                results.append(cursor.fetchall())
        return results
    connection.ensure_connection()
    cursors = [connection.cursor() for _ in statements]
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for cursor, (sql, params) in zip(cursors, statements, strict=True):
                cursor.execute(sql, list(params))
        return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
