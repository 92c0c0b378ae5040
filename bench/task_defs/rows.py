"""The table the row-writing task writes into: the benchmark's own, made in
its scratch database (no migration of the service's)."""

from django.db import connection

TABLE = "bench_task_rows"

CREATE = """
CREATE TABLE bench_task_rows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq integer NOT NULL,
    enqueued_at double precision NOT NULL,
    started_at double precision NOT NULL
)
"""
INSERT = "INSERT INTO bench_task_rows (seq, enqueued_at, started_at) VALUES (%s, %s, %s)"
EMPTY = "TRUNCATE bench_task_rows RESTART IDENTITY"
# Rows written, and how many distinct tasks wrote them (a task run twice
# writes its seq twice).
COUNT = "SELECT count(*), count(DISTINCT seq) FROM bench_task_rows"


def write(seq, enqueued_at, started_at):
    """One INSERT on the worker thread's own connection, in autocommit."""
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [seq, enqueued_at, started_at])
