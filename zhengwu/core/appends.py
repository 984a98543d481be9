"""Append-only rows written together at the end of the service call that made them.

A service call makes rows it never reads back: the case's event log, the in-app notice and its
delivery record, the SMS and e-mail outbox, a PDF's render job. `append(obj)` hands such an unsaved
instance to the call's unit of work (`zhengwu.core.audit.audit_batch`, which every service opens with
its transaction); when the block ends the rows are written with the audit events, grouped by model
into multi-row INSERTs, in one round trip on PostgreSQL (`run_statements`). Outside a unit of work
`append` inserts at once. Either way the rows commit or roll back with the business change.

The instance's primary key stays unset: only rows nobody needs the id of are appended. The SQL is
built from the model's fields once per model (`_plan`), and each value goes through its field's
`pre_save` and `get_db_prep_save` as the ORM would (auto_now, encrypted fields, JSON).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from django.db import connection, connections, models

from zhengwu.core.rows import server_binds_parameters

M = TypeVar("M", bound=models.Model)

# Fields whose value, when it is already of the plain type below (or None), goes to the database
# as it is: `get_db_prep_save` would only check it. Exact classes: a subclass (an encrypted
# CharField, for one) prepares its value its own way.
_PLAIN: dict[type[models.Field], tuple[type, ...]] = {
    models.CharField: (str,), models.TextField: (str,), models.BooleanField: (bool,),
    models.IntegerField: (int,), models.BigIntegerField: (int,), models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,), models.SmallIntegerField: (int,), models.ForeignKey: (int,),
}


def _value_of(field: models.Field) -> Callable[[models.Model, Any], Any]:
    """How to read one field's database value from an unsaved instance, as `Model.save` would:
    `read(obj, db)` with `db` the connection itself (not Django's per-thread proxy, which costs a
    lookup on every use)."""
    attname = field.attname
    plain = _PLAIN.get(type(field))
    own_pre_save = type(field).pre_save is not models.Field.pre_save and not (
        isinstance(field, models.DateTimeField | models.DateField) and not (field.auto_now or field.auto_now_add))
    if plain is not None and not own_pre_save:
        def value(obj: models.Model, db: Any) -> Any:
            raw = getattr(obj, attname)
            if raw is None or type(raw) in plain:
                return raw
            return field.get_db_prep_save(raw, db)
        return value
    if own_pre_save:
        return lambda obj, db: field.get_db_prep_save(field.pre_save(obj, True), db)
    if type(field) is models.DateTimeField:
        # An aware datetime: `get_db_prep_save` would check it (to_python, the naive warning) and
        # hand it to the backend's adapter; this hands it over directly.
        def moment(obj: models.Model, db: Any) -> Any:
            raw = getattr(obj, attname)
            if type(raw) is datetime and raw.tzinfo is not None:
                return db.ops.adapt_datetimefield_value(raw)
            return field.get_db_prep_save(raw, db)
        return moment
    if type(field) is models.JSONField:
        encoder = field.encoder

        def document(obj: models.Model, db: Any) -> Any:
            raw = getattr(obj, attname)
            if type(raw) in (dict, list):  # as JSONField.get_db_prep_value adapts a plain value
                return db.ops.adapt_json_value(raw, encoder)
            return field.get_db_prep_save(raw, db)
        return document
    return lambda obj, db: field.get_db_prep_save(getattr(obj, attname), db)


@lru_cache(maxsize=64)
def _plan(model: type[models.Model], vendor: str) -> tuple[str, tuple[models.Field, ...], str, tuple]:
    """(INSERT … VALUES prefix, the fields in column order, one row's placeholder group, their readers)."""
    fields = tuple(f for f in model._meta.local_concrete_fields
                   if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField)))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    return (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ",
            fields, "(" + ", ".join(["%s"] * len(fields)) + ")", tuple(_value_of(f) for f in fields))


def insert_statements(objs: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    """Multi-row INSERT statements for unsaved instances, grouped by model in first-seen order (so
    a row whose foreign key points at a row of an earlier model follows it)."""
    return [(sql, params) for _chunk, sql, params in _inserts(objs)]


def _inserts(objs: Sequence[Any]) -> list[tuple[list[Any], str, list[Any]]]:
    """(the rows, INSERT statement, parameters) per model and per batch the database takes."""
    groups: dict[type[models.Model], list[Any]] = {}
    for obj in objs:
        groups.setdefault(obj.model if type(obj) is Row else type(obj), []).append(obj)
    statements = []
    db = connections[connection.alias]
    for model, rows in groups.items():
        prefix, fields, group, readers = _plan(model, connection.vendor)
        size = max(1, db.ops.bulk_batch_size(list(fields), rows))
        for start in range(0, len(rows), size):
            chunk = rows[start:start + size]
            params: list[Any] = []
            for obj in chunk:
                params.extend([read(obj, db) for read in readers])
            statements.append((chunk, prefix + ", ".join([group] * len(chunk)), params))
    return statements


def update_statement(obj: models.Model, names: Sequence[str]) -> tuple[str, list[Any]]:
    """`UPDATE … SET` the named fields of a saved instance to its values, each prepared by its field
    as `save(update_fields=…)` would (auto_now included)."""
    meta, quote = obj._meta, connection.ops.quote_name
    fields = [cast(models.Field, meta.get_field(name)) for name in names]
    return (f"UPDATE {quote(meta.db_table)} SET " + ", ".join(f"{quote(f.column)} = %s" for f in fields)
            + f" WHERE {quote(meta.pk.column)} = %s",
            [*(f.get_db_prep_save(f.pre_save(obj, False), connection) for f in fields), obj.pk])


_WRITE = re.compile(r'(INSERT INTO|UPDATE|DELETE FROM) ("[^"]+"|\w+) ')
_BY_PK = re.compile(r' WHERE "id" = %s$')
_READ = re.compile(r'\b(?:FROM|JOIN) ("[^"]+"|\w+)')
_PLACEHOLDER = re.compile("%%|%s")
_MAX_PARAMS = 30_000  # PostgreSQL takes at most 65,535 parameters in one statement


def _as_one(statements: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]] | None:
    """The writes as one PostgreSQL statement (each but the last a data-modifying `WITH` part), or
    None when that would not do exactly what running them in order does.

    One statement is parsed, bound and run once, where a pipeline of ten costs ten of each on both
    sides (≈ 17 µs of client CPU per statement saved, measured). The parts of one statement share
    its snapshot and none sees another's rows, so they are combined only when that cannot matter:
    each is a plain INSERT, UPDATE or DELETE (no WITH of its own), none reads (FROM, JOIN) a table an
    earlier one wrote, no table is both inserted into and updated or deleted from, and a table is
    updated or deleted from by more than one part only when every such part changes one row by its
    id (`update_statement`) and no row twice."""
    tables_inserted: set[str] = set()
    tables_changed: dict[str, set[Any] | None] = {}
    count = 0
    for sql, params in statements:
        match = _WRITE.match(sql)
        if match is None:
            return None
        verb, table = match[1], match[2].strip('"')
        # A part that reads a table an earlier part wrote would not see that write.
        if {t.strip('"') for t in _READ.findall(sql)} & (tables_inserted | tables_changed.keys()):
            return None
        count += len(params)
        if verb == "INSERT INTO":
            tables_inserted.add(table)
            continue
        rows = tables_changed.get(table, set())
        if _BY_PK.search(sql) is None or rows is None:
            if table in tables_changed:
                return None
            tables_changed[table] = None
            continue
        if params[-1] in rows:
            return None
        rows.add(params[-1])
        tables_changed[table] = rows
    if count > _MAX_PARAMS or tables_inserted & tables_changed.keys():
        return None
    *first, (last_sql, _) = statements
    sql = "WITH " + ", ".join(f"w{i} AS ({part})" for i, (part, _) in enumerate(first)) + " " + last_sql
    return sql, [value for _, params in statements for value in params]


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """`sql` with its `%s` placeholders numbered as the server takes them ($1, $2 …) and `%%` made
    `%`: psycopg parses a statement this long again on every call (it caches only short ones)."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)


def _run_numbered(sql: str, params: Sequence[Any]) -> None:
    """Run a long statement with psycopg's raw cursor, which takes it numbered and as it is, through
    Django's cursor wrapper (its errors). Where Django logs the queries (DEBUG, tests capturing them)
    the log shows the statement with its values, which only the `%s` form gives."""
    import psycopg

    if connection.queries_logged:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    with connection.make_cursor(cast(Any, psycopg.RawCursor(connection.connection))) as cursor:
        cursor.execute(_numbered(sql), params)


def run_statements(statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Execute write statements whose results nobody reads. On PostgreSQL they go in one round
    trip: in psycopg's pipeline when the server binds the parameters (config/env.py), else as one
    string (client-side binding sends it with the simple query protocol, which takes several
    statements); SQLite runs in-process, one statement at a time."""
    if not statements:
        return
    combined = _as_one(statements) if len(statements) > 1 and server_binds_parameters() else None
    if combined is not None:
        _run_numbered(*combined)
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(statements) == 1:
            for sql, params in statements:
                cursor.execute(sql, params)
        elif server_binds_parameters():
            # Bound by the server, one statement per message: psycopg's pipeline sends them together.
            # A failure surfaces when the pipeline ends: raised as Django's error, like any other.
            with connection.wrap_database_errors, connection.connection.pipeline():
                for sql, params in statements:
                    cursor.execute(sql, params)
        else:
            cursor.execute("; ".join(sql for sql, _ in statements),
                           [value for _, params in statements for value in params])


def insert_now(obj: M) -> M:
    """Insert `obj` now and give it its id (INSERT … RETURNING), as `save()` would, without the
    ORM's statement building: for rows a service call creates and then refers to."""
    insert_now_many([obj])
    return obj


def insert_now_many(objs: Sequence[M]) -> list[M]:
    """`insert_now` for several rows, one statement per model (and per batch the database takes):
    the ids come back in the order of the rows, as `bulk_create` relies on."""
    for chunk, sql, params in _inserts(objs):
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(chunk[0]._meta.pk.column)}", params)
            for obj, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias
    return list(objs)


def later(statements: Sequence[tuple[str, list[Any]]]) -> None:
    """Leave writes nobody reads back in this service call (a finished clock's closing, a case's
    changed columns) to the end of the open unit of work, where they go first in its one round trip;
    outside a unit of work, run them now."""
    from zhengwu.core.audit import pending_statements

    pending = pending_statements()
    if pending is None:
        run_statements(statements)
    else:
        pending.extend(statements)


class Row:
    """An unsaved row of `model` as plain attributes (by column attribute name, defaults filled in),
    for `append`: a small row is written, never read back, and building a model instance for it
    (`Model.__init__`) cost more than preparing its values. Keyword arguments as the model takes
    them: field names (a related instance or None for a foreign key) or attribute names."""

    def __init__(self, model: type[models.Model], **values: Any) -> None:
        self.model = model
        for name, attname, related, default in _row_fields(model):
            if name in values:
                value = values.pop(name)
                if related and value is not None:
                    value = value.pk
            elif attname in values:
                value = values.pop(attname)
            else:
                value = default()
            setattr(self, attname, value)
        if values:
            raise TypeError(f"{model.__name__} has no field(s) {', '.join(sorted(values))}")


@lru_cache(maxsize=64)
def _row_fields(model: type[models.Model]) -> tuple[tuple[str, str, bool, Callable[[], Any]], ...]:
    return tuple((f.name, f.attname, f.is_relation, f.get_default) for f in model._meta.concrete_fields
                 if not f.primary_key)


def append(obj: models.Model | Row) -> None:
    """Insert `obj` (unsaved, its id not needed; a model instance or a `Row`) at the end of the open
    unit of work, or now."""
    from zhengwu.core.audit import pending_rows

    pending = pending_rows()
    if pending is None:
        run_statements(insert_statements([obj]))
    else:
        pending.append(obj)
