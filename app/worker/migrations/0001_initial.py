from django.db import migrations, models

# A NOTIFY on the worker's channel (worker/wakeup.py) whenever a task row
# becomes READY: enqueued, or put back for a retry.
NOTIFY_ON_READY = """
CREATE FUNCTION worker_notify_task_ready() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('worker_task_ready', NEW.queue_name);
    RETURN NULL;
END $$;
CREATE TRIGGER worker_notify_task_ready
    AFTER INSERT OR UPDATE OF status ON django_tasks_database_dbtaskresult
    FOR EACH ROW WHEN (NEW.status = 'READY')
    EXECUTE FUNCTION worker_notify_task_ready();
"""

DROP_NOTIFY_ON_READY = """
DROP TRIGGER worker_notify_task_ready ON django_tasks_database_dbtaskresult;
DROP FUNCTION worker_notify_task_ready();
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                ("worker_id", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("hostname", models.CharField(max_length=255)),
                ("pid", models.PositiveIntegerField()),
                ("concurrency", models.PositiveSmallIntegerField()),
                ("started_at", models.DateTimeField()),
                ("seen_at", models.DateTimeField()),
            ],
        ),
        migrations.RunSQL(NOTIFY_ON_READY, DROP_NOTIFY_ON_READY),
    ]
