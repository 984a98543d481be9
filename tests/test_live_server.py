"""The browser tests' live server leaves no database session behind (root conftest's `live_server`):
on PostgreSQL a session still open when the suite ends stops the test database from being dropped
("database test_zhengwu is being accessed by other users")."""

from __future__ import annotations

import http.client
import time

from django.db import connection


def _other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


def test_a_response_closes_its_connection_and_its_database_session(live_server):
    before = _other_sessions() if connection.vendor == "postgresql" else 0
    client = http.client.HTTPConnection(live_server.thread.host, live_server.thread.port, timeout=10)
    try:
        # A browser keeps its sockets open between requests: the server must not wait for it.
        client.request("GET", "/healthz", headers={"Connection": "keep-alive"})
        response = client.getresponse()
        response.read()
        assert response.status in (200, 503) and not response.will_close
        if connection.vendor == "postgresql":
            deadline = time.monotonic() + 5
            while _other_sessions() > before and time.monotonic() < deadline:
                time.sleep(0.02)
            assert _other_sessions() == before, "the server thread kept its database session"
    finally:
        client.close()
