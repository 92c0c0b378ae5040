from django.db import models


class Heartbeat(models.Model):
    """A running worker, and when it was last heard from (the database's
    clock). The tasks of a worker silent for ``WORKER_STALE_AFTER`` seconds
    go back to the queue (``claims.take_back_lost``). A worker deletes its
    row when it stops; ``manage.py maintain`` prunes those of dead ones."""

    worker_id = models.CharField(primary_key=True, max_length=64)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    concurrency = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    def __str__(self):
        return self.worker_id
