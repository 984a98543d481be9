"""Gap-free counters (case numbers, 文书 numbers, certificate serials) in one statement.

`counter_next` increments the counter row with `UPDATE … RETURNING` (PostgreSQL; SQLite ≥ 3.35),
which also locks the row until the caller's transaction ends: a rolled-back transaction gives its
number back and two transactions never get the same one. The row is created on first use; when
two transactions create it at once, the loser retries the UPDATE and waits for the winner's lock.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection, models, transaction


def counter_next(model: type[models.Model], *, field: str, **lookup: Any) -> int:
    meta = model._meta
    qn = connection.ops.quote_name

    def col(name: str) -> str:
        return qn(str(meta.get_field(name).column))  # type: ignore[union-attr]

    column = col(field)
    where = " AND ".join(f"{col(key)} = %s" for key in lookup)
    sql = f"UPDATE {qn(meta.db_table)} SET {column} = {column} + 1 WHERE {where} RETURNING {column}"
    params = [value.pk if isinstance(value, models.Model) else value for value in lookup.values()]
    for _attempt in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        try:
            with transaction.atomic():
                model._default_manager.create(**lookup, **{field: 1})
            return 1
        except IntegrityError:
            continue  # created meanwhile by another transaction: the UPDATE now waits for its lock
    raise RuntimeError(f"counter {meta.label} {lookup} could not be incremented")
