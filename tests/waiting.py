"""Helpers for tests in which two transactions meet on a lock (PostgreSQL)."""

import time

from django.db import connections


def until_a_transaction_waits_for_a_lock(timeout: float = 30) -> None:
    """Return once some transaction waits for a lock; pg_locks, unlike
    pg_stat_activity, is not frozen for the length of the asking transaction."""
    with connections["default"].cursor() as cursor:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("no transaction waited for a lock")
