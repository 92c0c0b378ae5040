"""The background-task benchmark: the service's worker against a Celery worker,
in the same run.

    uv run python bench/tasks.py            # full run: the numbers in docs/performance.md
    uv run python bench/tasks.py --quick    # seconds: every task runs once, no errors

It makes a fresh PostgreSQL database and migrates it, takes a Redis database
of its own (the Celery baseline's broker and result backend, flushed before
and after), then, for each system in turn, runs ONE worker process with the
same number of threads (--concurrency):

- ours: the service's worker as the image runs it (WORKER_COMMAND, through the
  entry point, DEBUG off, the production settings), on Django's tasks
  framework stored in PostgreSQL by django_tasks_db;
- celery: ``celery worker --pool threads`` on Redis, with Django set up in the
  worker (bench/task_defs/celery_app.py).

Two tasks (bench/task_defs/): a no-op, and one that writes a row into a table
of the benchmark's own. For each:

- drain: a burst of --burst tasks enqueued while the worker is stopped, then
  the worker started; tasks/s from the first task's start to the last result
  stored;
- steady, at each --rate (50 and 200 tasks/s by default): a producer in this
  process enqueues on a fixed schedule for --duration seconds while the
  worker runs; the tasks/s done, the p50/p99 latency from enqueue (the
  producer's clock, passed as the first argument) to start (the task's first
  statement, returned as its result), and the worker's CPU per task and peak
  RSS.

Every task must have run exactly once: as many results, all successful, as
tasks enqueued; none run twice (ours: claimed twice; Celery: logged as
succeeded twice); as many rows, of as many distinct tasks, as row-writing
tasks. The report is a table and JSON (--json); the run fails (after writing
both) when any task failed, was lost or ran twice.
"""

import argparse
import collections
import itertools
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
sys.path.insert(1, str(REPO_DIR / "app"))

from bench.run import DEFAULT_DATABASE_URL, Database, RssSampler, check  # noqa: E402
from tests.support import APP_DIR, ENTRYPOINT, PYTHON, environment, manage  # noqa: E402

# The service's worker (app/worker/), run in app/ as the image runs it.
WORKER_COMMAND = ["python", "manage.py", "worker"]
CELERY = str(Path(sys.executable).with_name("celery"))
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379"
KINDS = ("noop", "write")
SYSTEMS = ("ours", "celery")
# A pause between two task starts in a drain longer than this is a stall.
STALL_MS = 500
# The line Celery's worker logs for each task that succeeded.
SUCCEEDED = re.compile(r"Task bench\.\w+\[([0-9a-f-]{36})\] succeeded")


@dataclass
class Outcome:
    """What the system's result store says of one task."""

    status: str  # "done" or "failed"
    started: float | None = None  # the task's own clock at its first statement
    finished: float | None = None  # when the system stored its result
    runs: int | None = None  # how often it ran (ours: was claimed); None: unknown
    claim_latency: float | None = None  # the system's own started - enqueued


class WorkerUnderTest:
    """One worker process, its output in a log file; stopped with SIGTERM,
    as an orchestrator stops it."""

    def __init__(self, argv, env, cwd, log_path):
        self.argv, self.env, self.cwd, self.log_path = argv, env, cwd, Path(log_path)
        self.process = None

    def start(self):
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=60):
        """SIGTERM, then the exit status; SIGKILL (and None) after ``timeout``."""
        if not self.alive():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None

    def cpu_seconds(self):
        """User and system CPU of the process and its children, so far."""
        total = 0
        for pid in RssSampler(self.process.pid).tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def tail(self, lines=30):
        text = self.log_path.read_text() if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class Ours:
    """The service's worker, on Django's tasks framework and django_tasks_db."""

    name = "ours"

    def __init__(self, env, concurrency, workdir):
        env = {
            **env,
            "PYTHONPATH": str(REPO_DIR),  # bench.task_defs; app/ is manage.py's own
            "WORKER_CONCURRENCY": str(concurrency),
            "WORKER_HEARTBEAT_FILE": str(workdir / "worker-heartbeat"),  # as the image does
            "DATABASE_APPLICATION_NAME": "bench-ours-worker",
        }
        argv = [ENTRYPOINT, PYTHON, *WORKER_COMMAND[1:]]
        self.worker = WorkerUnderTest(argv, env, APP_DIR, workdir / "ours-worker.log")
        self.command = " ".join(WORKER_COMMAND)

    def enqueue(self, kind, seq):
        from bench.task_defs import ours

        enqueued_at = time.time()
        if kind == "noop":
            result = ours.noop.enqueue(enqueued_at)
        else:
            result = ours.write_row.enqueue(enqueued_at, seq)
        return str(result.id), enqueued_at

    def outcomes(self, ids):
        from django.tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        found = {}
        rows = DBTaskResult.objects.filter(id__in=ids).values_list(
            "id", "status", "return_value", "enqueued_at", "started_at", "finished_at", "worker_ids"
        )
        for id_, status, value, enqueued, started, finished, worker_ids in rows:
            if status == TaskResultStatus.SUCCESSFUL:
                found[str(id_)] = Outcome(
                    "done",
                    started=value,
                    finished=finished.timestamp(),
                    runs=len(worker_ids),
                    claim_latency=(started - enqueued).total_seconds(),
                )
            elif status == TaskResultStatus.FAILED:
                found[str(id_)] = Outcome("failed", runs=len(worker_ids))
        return found

    def count_runs(self, found):
        """Already known: the claims in each row's worker_ids."""

    def forget(self, ids):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(id__in=ids).delete()


class CeleryBaseline:
    """A Celery worker on Redis: the thread pool, so that it too is one process
    running --concurrency tasks at once (see docs/performance.md)."""

    name = "celery"

    def __init__(self, env, concurrency, workdir, redis_url):
        import redis

        self.redis = redis.Redis.from_url(redis_url)
        env = {
            **env,
            "PYTHONPATH": os.pathsep.join([str(REPO_DIR), str(APP_DIR)]),
            "BENCH_CELERY_REDIS_URL": redis_url,
            "DATABASE_APPLICATION_NAME": "bench-celery-worker",
        }
        argv = [
            CELERY,
            "--app",
            "bench.task_defs.celery_app",
            "worker",
            "--pool",
            "threads",
            "--concurrency",
            str(concurrency),
            # As ours logs each task's start and end (LOG_LEVEL=INFO).
            "--loglevel",
            "INFO",
            # One worker alone: no peers to sync with at start or to gossip with.
            "--without-gossip",
            "--without-mingle",
            "--hostname",
            f"bench-{uuid.uuid4().hex[:8]}@%h",
        ]
        self.worker = WorkerUnderTest(argv, env, REPO_DIR, workdir / "celery-worker.log")
        self.command = " ".join(["celery", *argv[1:-2]])

    def enqueue(self, kind, seq):
        from bench.task_defs import celery_app

        enqueued_at = time.time()
        if kind == "noop":
            result = celery_app.noop.apply_async((enqueued_at,))
        else:
            result = celery_app.write_row.apply_async((enqueued_at, seq))
        return result.id, enqueued_at

    def outcomes(self, ids):
        found = {}
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            metas = self.redis.mget([f"celery-task-meta-{id_}" for id_ in chunk])
            for id_, meta in zip(chunk, metas, strict=True):
                if meta is None:
                    continue
                meta = json.loads(meta)
                if meta["status"] == "SUCCESS":
                    done = datetime.fromisoformat(meta["date_done"])
                    if done.tzinfo is None:
                        done = done.replace(tzinfo=UTC)
                    found[id_] = Outcome("done", started=meta["result"], finished=done.timestamp())
                elif meta["status"] in {"FAILURE", "REVOKED"}:
                    found[id_] = Outcome("failed")
        return found

    def count_runs(self, found):
        """How often each task ran, from the worker's log: Celery logs each
        success once (at INFO), with the task's id."""
        runs = collections.Counter(SUCCEEDED.findall(self.worker.log_path.read_text()))
        for id_, outcome in found.items():
            outcome.runs = runs[id_]

    def forget(self, ids):
        for start in range(0, len(ids), 1000):
            self.redis.delete(*[f"celery-task-meta-{id_}" for id_ in ids[start : start + 1000]])


class RedisDatabase:
    """A database number on the Redis server at ``url`` for this run alone:
    the highest one that is empty, or that an earlier run of this benchmark
    marked and left; flushed (FLUSHDB, that number only) before and after.
    A lease keeps two runs at once off the same number."""

    MARK = "bench:tasks:mark"
    LEASE = "bench:tasks:lease"

    def __init__(self, url):
        import redis

        self.server_url = url.rstrip("/")
        self.redis = redis
        self.number = None
        self.client = None

    def __enter__(self):
        first = self.redis.Redis.from_url(self.server_url, socket_connect_timeout=3)
        try:
            count = int(first.config_get("databases").get("databases", 16))
        except self.redis.ResponseError:  # CONFIG refused
            count = 16
        owner = uuid.uuid4().hex
        for number in range(count - 1, 0, -1):
            client = self.redis.Redis.from_url(f"{self.server_url}/{number}")
            if not client.set(self.LEASE, owner, nx=True, ex=3600):
                continue  # another run holds it
            if client.dbsize() == 1 or client.exists(self.MARK):
                client.flushdb()
                client.set(self.LEASE, owner, ex=3600)
                client.set(self.MARK, "1")
                self.number, self.client = number, client
                return self
            client.delete(self.LEASE)  # someone else's data: leave it alone
        raise SystemExit(f"Redis at {self.server_url} has no free database for the benchmark")

    @property
    def url(self):
        return f"{self.server_url}/{self.number}"

    def __exit__(self, *exc):
        self.client.flushdb()


def redis_reachable(url):
    """Stop with one line when the Celery baseline's Redis cannot be reached."""
    try:
        import redis
    except ImportError:
        raise SystemExit(
            "redis (the Python client) is missing: install the dev dependencies (uv sync)"
        ) from None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.exceptions.RedisError, OSError) as error:
        raise SystemExit(
            f"Redis is not reachable at {url} (the Celery baseline's broker): {error}"
        ) from None
    if not Path(CELERY).exists():
        raise SystemExit("celery is missing: install the dev dependencies (uv sync)")


def percentile(values, fraction):
    """The nearest-rank percentile of ``values`` (non-empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def wait_for(system, ids, timeout, interval):
    """The outcomes of ``ids`` once none is pending, or at ``timeout``
    (seconds), whichever comes first; the worker's death ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        found = system.outcomes(ids)
        if len(found) == len(ids) or time.monotonic() > deadline or not system.worker.alive():
            return found
        time.sleep(interval)


def tally(system, kind, enqueued, found):
    """Counts that show each task ran exactly once, and the latencies."""
    from django.db import connection

    from bench.task_defs import rows

    system.count_runs(found)
    done = [found[id_] for id_ in enqueued if id_ in found and found[id_].status == "done"]
    failed = sum(1 for o in found.values() if o.status == "failed")
    duplicates = sum(o.runs - 1 for o in found.values() if o.runs and o.runs > 1)
    result = {
        "enqueued": len(enqueued),
        "ran": len(done),
        "failed": failed,
        "missing": len(enqueued) - len(done) - failed,
        "duplicates": duplicates,
    }
    if kind == "write":
        with connection.cursor() as cursor:
            cursor.execute(rows.COUNT)
            written, distinct = cursor.fetchone()
            cursor.execute(rows.EMPTY)
        result["rows"] = written
        result["duplicates"] += written - distinct
        result["missing"] += max(0, len(done) - distinct)  # a result but no row
    result["errors"] = result["failed"] + result["missing"] + result["duplicates"]
    latencies = [o.started - enqueued[id_] for id_, o in found.items() if o.status == "done"]
    claims = [o.claim_latency for o in done if o.claim_latency is not None]
    system.forget(list(enqueued))
    return result, done, latencies, claims


def ms(seconds):
    return round(seconds * 1000, 2)


def drain(system, kind, burst, timeout):
    """A burst enqueued with the worker stopped, then run by a fresh worker."""
    begin = time.perf_counter()
    enqueued = dict(system.enqueue(kind, seq) for seq in range(burst))
    enqueue_seconds = time.perf_counter() - begin
    system.worker.start()
    found = wait_for(system, list(enqueued), timeout, interval=1.0)
    result, done, _, _ = tally(system, kind, enqueued, found)
    result["enqueue_ms"] = ms(enqueue_seconds / burst)  # with no worker running
    if len(done) > 1:
        starts = sorted(o.started for o in done)
        seconds = max(o.finished for o in done) - starts[0]
        result["seconds"] = round(seconds, 3)
        result["tasks_per_second"] = round(len(done) / seconds, 1)
        # A worker that stalls (a missed wake-up) shows as one long pause.
        result["longest_pause_ms"] = ms(max(b - a for a, b in itertools.pairwise(starts)))
    return result


def steady(system, kind, rate, duration, timeout):
    """Tasks enqueued at ``rate`` per second for ``duration`` seconds, on a
    fixed schedule (a late enqueue does not delay the next ones), while the
    worker runs."""
    count = round(rate * duration)
    enqueued = {}
    enqueue_seconds = 0
    cpu_before = system.worker.cpu_seconds()
    with RssSampler(system.worker.process.pid) as rss:
        begin = time.monotonic()
        for seq in range(count):
            pause = begin + seq / rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            id_, enqueued_at = system.enqueue(kind, seq)
            enqueued[id_] = enqueued_at
            enqueue_seconds += time.time() - enqueued_at
        offered = count / (time.monotonic() - begin)
        found = wait_for(system, list(enqueued), timeout, interval=0.2)
        cpu = system.worker.cpu_seconds() - cpu_before
    result, done, latencies, claims = tally(system, kind, enqueued, found)
    result["rate"] = rate
    result["offered_per_second"] = round(offered, 1)
    result["enqueue_ms"] = ms(enqueue_seconds / max(1, count))
    if len(done) > 1:
        seconds = max(o.finished for o in done) - min(enqueued.values())
        result["tasks_per_second"] = round(len(done) / seconds, 1)
    if latencies:
        result["p50_ms"] = ms(percentile(latencies, 0.50))
        result["p99_ms"] = ms(percentile(latencies, 0.99))
        result["max_ms"] = ms(max(latencies))
    if claims:  # the system's own view: its started_at less its enqueued_at
        result["claim_p50_ms"] = ms(percentile(claims, 0.50))
        result["claim_p99_ms"] = ms(percentile(claims, 0.99))
    result["worker_cpu_ms_per_task"] = round(cpu * 1000 / max(1, len(done)), 3)
    result["peak_rss_mb"] = round(rss.peak_kb / 1024, 1)
    return result


def measure(system, args):
    """Both tasks on ``system``: drained, then steady at each rate; the
    worker stopped after."""
    drain_timeout = max(60, args.burst / 20)
    exits = []
    results = {kind: {"drain": None, "steady": []} for kind in KINDS}
    begin = time.monotonic()

    def progress(what):
        print(f"{time.monotonic() - begin:6.1f} s  {system.name}: {what}", file=sys.stderr)

    def run_steady(kind):
        for rate in args.rate:
            progress(f"{kind}, steady at {rate:g}/s")
            timeout = max(20 if args.quick else 60, rate * args.duration / 20)
            results[kind]["steady"].append(steady(system, kind, rate, args.duration, timeout))

    try:
        progress("noop, drain")
        results["noop"]["drain"] = drain(system, "noop", args.burst, drain_timeout)
        run_steady("noop")  # on the worker the drain started
        run_steady("write")
        exits.append(system.worker.stop())
        progress("write, drain")
        results["write"]["drain"] = drain(system, "write", args.burst, drain_timeout)
        exits.append(system.worker.stop())
        progress("done")
    finally:
        if system.worker.alive():
            system.worker.stop()
    if any(code != 0 for code in exits):
        print(f"{system.name}: the worker exited with {exits}:\n{system.worker.tail()}")
    return {**results, "worker_exit_statuses": exits}


def phases(kinds):
    """(label, result) of each phase of one task on one system, in order."""
    yield "drain", kinds["drain"]
    for result in kinds["steady"]:
        yield f"steady {result['rate']:g}/s", result


def ratios(report):
    """Ours ÷ Celery, for each task and phase: above 1 is more tasks/s,
    but slower (higher latency) and costlier (more CPU)."""
    ours, celery = report["systems"]["ours"], report["systems"]["celery"]
    keys = ["tasks_per_second", "p50_ms", "p99_ms", "worker_cpu_ms_per_task"]
    out = {}
    for kind in KINDS:
        out[kind] = {}
        pairs = zip(phases(ours[kind]), phases(celery[kind]), strict=True)
        for (label, mine), (_, theirs) in pairs:
            out[kind][label] = {
                key: round(mine[key] / theirs[key], 2)
                for key in keys
                if mine.get(key) and theirs.get(key)
            }
    return out


def print_table(report):
    def cell(value, width, digits=0):
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    print(
        f"\none worker process each, {report['concurrency']} tasks at once; "
        f"drain: {report['burst']} tasks queued first; steady: "
        f"{', '.join(f'{rate:g}' for rate in report['rates'])} tasks/s offered for "
        f"{report['seconds']:g} s each; PostgreSQL synchronous_commit "
        f"{report['synchronous_commit']}\n"
        f"ours: {report['commands']['ours']}\ncelery: {report['commands']['celery']}\n"
    )
    header = (
        f"{'task':<6} {'phase':<13} {'system':<7} | {'tasks/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'max ms':>7} {'CPU ms/task':>11} {'RSS MB':>6} {'enqueue ms':>10}"
        f" | {'ran':>5} {'err':>4}"
    )
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        labelled = {name: list(phases(report["systems"][name][kind])) for name in SYSTEMS}
        for index, (label, _) in enumerate(labelled["ours"]):
            for name in SYSTEMS:
                row = labelled[name][index][1]
                print(
                    f"{kind:<6} {label:<13} {name:<7} | {cell(row.get('tasks_per_second'), 7)}"
                    f" {cell(row.get('p50_ms'), 7, 1)} {cell(row.get('p99_ms'), 7, 1)}"
                    f" {cell(row.get('max_ms'), 7, 1)}"
                    f" {cell(row.get('worker_cpu_ms_per_task'), 11, 2)}"
                    f" {cell(row.get('peak_rss_mb'), 6)} {cell(row.get('enqueue_ms'), 10, 2)}"
                    f" | {row['ran']:>5} {row['errors']:>4}"
                )
    for name in SYSTEMS:
        for kind in KINDS:
            pause = report["systems"][name][kind]["drain"].get("longest_pause_ms", 0)
            if pause > STALL_MS:
                print(f"note: {name} stalled for {pause / 1000:.1f} s in the {kind} drain")
    print("\nours ÷ celery (tasks/s; p50, p99 and CPU per task: above 1 is slower):")
    names = {"tasks_per_second": "tasks/s", "p50_ms": "p50", "p99_ms": "p99"}
    for kind, by_phase in report["ratios"].items():
        for label, ratio in by_phase.items():
            parts = ", ".join(
                f"{names.get(key, 'CPU/task')} {value:.2f}x" for key, value in ratio.items()
            )
            print(f"  {kind:<6} {label:<13} {parts}")


def task_environment(database, args):
    """What a production process of the service gets, on ``database``."""
    values = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        # The worker wants a pooled connection per thread, and two of its own.
        "DATABASE_POOL_MAX_SIZE": str(max(4, args.concurrency + 2)),
    }
    values.update(item.split("=", 1) for item in args.set)
    return environment(**values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds: every task runs once")
    parser.add_argument("--concurrency", type=int, default=2, help="tasks at once per worker")
    parser.add_argument(
        "--rate",
        type=float,
        action="append",
        help="tasks/s offered in a steady phase; again for another phase (default: 50 and 200)",
    )
    parser.add_argument("--duration", type=float, default=None, help="seconds of steady load")
    parser.add_argument("--burst", type=int, default=None, help="tasks queued first (drain)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="the Redis server")
    parser.add_argument("--json", type=Path, default=REPO_DIR / "bench" / "results-tasks.json")
    parser.add_argument("--keep-logs", action="store_true", help="keep the workers' logs")
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="PostgreSQL's, for the run's database: off shows what waiting for the WAL costs",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for both workers, such as LOG_LEVEL=WARNING",
    )
    args = parser.parse_args()
    args.rate = args.rate or ([50] if args.quick else [50, 200])
    args.duration = args.duration or (2 if args.quick else 10)
    args.burst = args.burst or (100 if args.quick else 2000)
    redis_reachable(args.redis_url)

    workdir = Path(tempfile.mkdtemp(prefix="bench-tasks-"))
    base_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    with Database(base_url) as database, RedisDatabase(args.redis_url) as redis_db:
        env = task_environment(database, args)
        check(manage("migrate_with_lock", "--noinput", env=env), "migrate")
        if args.synchronous_commit == "off":
            with psycopg.connect(database.url, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{database.name}" SET synchronous_commit = off')

        # This process is the producer: Django's tasks API, as the service's
        # code calls it, on the same database and settings.
        os.environ.update(env, DATABASE_APPLICATION_NAME="bench-tasks-producer")
        os.environ["BENCH_CELERY_REDIS_URL"] = redis_db.url
        os.environ["BENCH_CELERY_ROLE"] = "producer"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        from django.db import connection

        from bench.task_defs import rows

        with connection.cursor() as cursor:
            cursor.execute(rows.CREATE)

        systems = [
            Ours(env, args.concurrency, workdir),
            CeleryBaseline(env, args.concurrency, workdir, redis_db.url),
        ]
        report = {
            "mode": "quick" if args.quick else "full",
            "machine": (
                f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
            ),
            "concurrency": args.concurrency,
            "rates": args.rate,
            "seconds": args.duration,
            "burst": args.burst,
            "synchronous_commit": args.synchronous_commit,
            "commands": {system.name: system.command for system in systems},
            "systems": {system.name: measure(system, args) for system in systems},
        }
        connection.close()
    report["ratios"] = ratios(report)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"\nJSON: {args.json}")

    errors = sum(
        result["errors"]
        for name in SYSTEMS
        for kind in KINDS
        for _, result in phases(report["systems"][name][kind])
    )
    exits = [code for name in SYSTEMS for code in report["systems"][name]["worker_exit_statuses"]]
    if errors or any(code != 0 for code in exits):
        raise SystemExit(f"{errors} tasks failed, were lost or ran twice; logs in {workdir}")
    if args.keep_logs:
        print(f"the workers' logs: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
