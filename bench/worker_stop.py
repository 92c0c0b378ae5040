"""How long the worker takes to stop under load, and what it leaves.

    uv run python bench/worker_stop.py                 # 5 stops, tasks of 0.5 s
    uv run python bench/worker_stop.py --task-seconds 2 --stops 3

Each stop: a fresh queue of 400 tasks that each work ``--task-seconds``
(config.tests.tasks.mark_and_sleep, which writes "started" and "finished"),
one worker with its default concurrency, SIGTERM once 10 tasks have
finished; it reports the time from the signal to the exit, the exit
status, and whether every started task finished. The worker runs as the
image runs it, on a fresh database.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
sys.path.insert(1, str(REPO_DIR / "app"))

from bench.run import DEFAULT_DATABASE_URL, Database, check, prepare  # noqa: E402
from tests.support import WorkerProcess, manage  # noqa: E402


def one_stop(env, workdir, task_seconds):
    runs = workdir / "runs"
    runs.unlink(missing_ok=True)
    enqueue = (
        "from django_tasks_db.models import DBTaskResult; DBTaskResult.objects.all().delete(); "
        "from config.tests.tasks import mark_and_sleep\n"
        f"for _ in range(400): mark_and_sleep.enqueue({str(runs)!r}, {task_seconds})"
    )
    check(manage("shell", "-c", enqueue, env=env), "enqueueing")
    folder = Path(tempfile.mkdtemp(dir=workdir))
    worker = WorkerProcess(env).start(folder)
    while (runs.read_text().count("finished") if runs.exists() else 0) < 10:
        time.sleep(0.01)
    signalled = time.monotonic()
    os.kill(worker.process.pid, signal.SIGTERM)
    status = worker.process.wait(timeout=120)
    seconds = time.monotonic() - signalled
    text = runs.read_text()
    return seconds, status, text.count("started"), text.count("finished")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=5)
    parser.add_argument("--task-seconds", type=float, default=0.5)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    with Database(args.database_url) as database, tempfile.TemporaryDirectory() as workdir:
        env = prepare(database, Path(workdir))
        stops = [one_stop(env, Path(workdir), args.task_seconds) for _ in range(args.stops)]
    print(f"{'stop':<6}{'seconds':>9}{'exit':>6}{'started':>9}{'finished':>10}")
    for number, (seconds, status, started, finished) in enumerate(stops, 1):
        print(f"{number:<6}{seconds:>9.2f}{status:>6}{started:>9}{finished:>10}")
    print(f"median stop: {statistics.median(s[0] for s in stops):.2f} s")


if __name__ == "__main__":
    main()
