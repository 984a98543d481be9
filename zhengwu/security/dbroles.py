"""The application's PostgreSQL role: reads and writes rows, owns nothing (等保 8.1.4.2 d, least privilege).

Production runs migrations (and restores, and the audit archive, which removes archived rows) as the
role that owns the tables, and the web and sweeper processes as another role with only SELECT,
INSERT, UPDATE and DELETE on the tables and USAGE on the sequences: it cannot create, alter, drop or
truncate anything, so it cannot drop the audit triggers either; and on the append-only audit tables
(`zhengwu.core.append_only.TABLES`) it may only read and insert, so even the archive gate setting does
not let it delete an event. Default privileges give it the same rights on tables that later
migrations create.
"""

from __future__ import annotations

import re

from django.db import connections

from zhengwu.core.append_only import TABLES as APPEND_ONLY_TABLES
from zhengwu.core.errors import ValidationFailed

_ROLE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _check_name(value: str, what: str) -> str:
    if not _ROLE.fullmatch(value or ""):
        raise ValidationFailed(f"{what}名称无效：{value!r}（小写字母、数字、下划线）",
                               f"invalid {what} name {value!r}", field=what)
    return value


def app_role_statements(*, role: str, owner: str, database: str, schema: str = "public") -> list[str]:
    """The SQL, run by the owner, that gives `role` row access and nothing more."""
    q = connections["default"].ops.quote_name
    app, own, db, sch = q(_check_name(role, "role")), q(_check_name(owner, "owner")), q(database), q(schema)
    audit = ", ".join(q(t) for t in APPEND_ONLY_TABLES)
    return [
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
        # PostgreSQL < 15 lets everyone create in `public`; the application never needs to.
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {sch} TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {app}",
        # Append-only audit tables: read and append, never change or remove (the archive runs as the owner).
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {audit} FROM {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {sch} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {own} IN SCHEMA {sch} GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


def app_role_grant(*, role: str, using: str = "default") -> list[str]:
    """Run `app_role_statements` on this database as its current (owner) user; returns the statements."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise ValidationFailed("应用数据库角色只适用于 PostgreSQL", "the application role applies to PostgreSQL only")
    _check_name(role, "role")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        owner, database, schema = cursor.fetchone()
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        found = cursor.fetchone()
        if found is None:
            raise ValidationFailed(f"数据库角色 {role} 不存在，请先 CREATE ROLE {role} LOGIN PASSWORD '…'",
                                   f"role {role} does not exist: CREATE ROLE it first", field="role")
        if found[0]:
            raise ValidationFailed(f"{role} 是超级用户，权限限制对它无效", f"{role} is a superuser: privileges do not bind it",
                                   field="role")
        if role == owner:
            raise ValidationFailed(f"{role} 就是执行本命令的表所有者；应用角色须是另一个角色",
                                   f"{role} is the owner running this command: the application needs another role",
                                   field="role")
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tableowner = %s", [schema, role])
        if cursor.fetchone()[0]:
            raise ValidationFailed(f"{role} 拥有数据表；应用角色不能是表的所有者", f"{role} owns tables", field="role")
        statements = app_role_statements(role=role, owner=owner, database=database, schema=schema)
        for statement in statements:
            cursor.execute(statement)
    return statements
