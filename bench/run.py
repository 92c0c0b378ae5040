"""The benchmark: the service under load, against baselines in the same run.

    uv run python bench/run.py            # full run: the numbers in docs/performance.md
    uv run python bench/run.py --quick    # seconds: every scenario answers, no errors

It makes a fresh PostgreSQL database, migrates and seeds it, collects the static
files, then starts five servers on loopback, each with the same number of
worker processes:

- ours: the server exactly as the image runs it (entry point, CMD, DEBUG off,
  production settings, whitenoise, the pool, the request limits), with
  WEB_CONCURRENCY set to --workers;
- django_handler: ours with ASGI_HANDLER=django, Django's own ASGI handler
  instead of the fast path, to measure what the fast path gains;
- unguarded: ours as it ran before its request limits (bench/unguarded_asgi.py
  on uvicorn's own protocol), to measure what the limits cost;
- gunicorn: the same app through a WSGI entry point (bench/wsgi.py), sync workers;
- ceiling: a raw ASGI hello-world (bench/hello_asgi.py) on the same uvicorn.

For each scenario, wrk (a separate process) warms up, then drives load at a
fixed concurrency, on each server in turn, in --rounds alternating rounds
(2; the order reversed every other round); the report gives the medians of
requests/s, p50 and p99, the errors, the requests refused for overload (503
with Retry-After, read from the server's metrics: ours and Django's handler,
which take turns) and the peak RSS of each server's processes, and the ratios
to gunicorn, to Django's handler, to the unguarded server and to the ceiling,
as a table and as JSON. The run fails if any request failed; refusals are
reported, since past saturation they are what the server is meant to answer.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
sys.path.insert(1, str(REPO_DIR / "app"))

from tests.support import (  # noqa: E402
    FormClient,
    Server,
    environment,
    free_port,
    manage,
    scrape_metrics,
)

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PASSWORD = "bench-long-unusual-passphrase"
DEFAULT_DATABASE_URL = "postgres://app:app@127.0.0.1:5432/app"


@dataclass
class Measure:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    peak_rss_mb: float
    refused: int = 0


@dataclass
class Scenario:
    name: str
    path: str
    logged_in: bool = False
    cookie: str = ""


# The servers measured on every scenario, in the table's order; the first is ours.
SERVERS = ("ours", "django_handler", "unguarded", "gunicorn")


def run_wrk(url, seconds, connections, threads, cookie=""):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return parse_wrk(result.stdout)


def parse_wrk(output):
    def duration_ms(text):
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = duration_ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))
    p99 = duration_ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        # A sync gunicorn worker closes each connection after its response;
        # wrk counts none of that as an error, so any count here is real.
        errors += sum(int(n) for n in match.groups())
    return rps, p50, p99, errors, requests


class RssSampler:
    """The peak resident memory of a process and its children, sampled."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def tree(self):
        pids = {self.pid}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) in pids:
                pids.add(int(stat.parent.name))
        return pids

    def sample(self):
        total = 0
        for pid in self.tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            if match := re.search(r"VmRSS:\s+(\d+) kB", status):
                total += int(match.group(1))
        self.peak_kb = max(self.peak_kb, total)

    def _run(self):
        while not self._stop.wait(0.2):
            self.sample()

    def __enter__(self):
        self.peak_kb = 0
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop.clear()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def refused_so_far(server):
    """The requests ``server`` has refused for overload (503 with
    Retry-After: its turns and limits), from its metrics; 0 for a server
    without them."""
    port = getattr(server, "env", {}).get("METRICS_PORT")
    if not port:
        return 0
    samples = scrape_metrics(port)
    return int(
        sum(
            value
            for (name, _), value in samples.items()
            if name == "http_refused_for_overload_total"
        )
    )


def measure(server, scenario, args):
    """One scenario on one server: wrk's figures and the server's peak RSS.
    Its refusals for overload are counted apart from the errors."""
    url = server.url
    if args.warmup:
        run_wrk(url + scenario.path, args.warmup, args.connections, args.threads, scenario.cookie)
    refused_before = refused_so_far(server)
    with RssSampler(server.process.pid) as rss:
        rps, p50, p99, errors, requests = run_wrk(
            url + scenario.path, args.duration, args.connections, args.threads, scenario.cookie
        )
    refused = refused_so_far(server) - refused_before
    return Measure(
        round(rps, 1),
        p50,
        p99,
        max(0, errors - refused),
        requests,
        round(rss.peak_kb / 1024, 1),
        refused,
    )


def median_of(measures):
    """One figure per server from its rounds: the median rate and latencies,
    every request and error, the highest RSS."""
    return Measure(
        round(statistics.median(m.requests_per_second for m in measures), 1),
        round(statistics.median(m.p50_ms for m in measures), 2),
        round(statistics.median(m.p99_ms for m in measures), 2),
        sum(m.errors for m in measures),
        sum(m.requests for m in measures),
        max(m.peak_rss_mb for m in measures),
        sum(m.refused for m in measures),
    )


class Database:
    """A fresh database for one run, dropped at the end."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.name = f"bench_{uuid.uuid4().hex[:8]}"
        scheme, rest = base_url.split("://", 1)
        self.server_url = f"{scheme}://{rest.rsplit('/', 1)[0]}/postgres"
        self.url = f"{scheme}://{rest.rsplit('/', 1)[0]}/{self.name}"

    def __enter__(self):
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc):
        with psycopg.connect(self.server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def check(result, what):
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{result.stdout}\n{result.stderr}")


class Gunicorn:
    def __init__(self, env, workers, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "bench.wsgi:application",
                "--chdir",
                str(REPO_DIR),
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _, _ = FormClient(self.url).request("/healthz")
            except OSError:  # not listening yet
                status = None
            if status == 200:
                return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not start; see {log_path}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def prepare(database, workdir, settings=(), **values):
    """The production environment of the servers under test, on ``database``,
    migrated, with its static files collected in ``workdir`` and the user
    ``bench`` made; ``settings`` ("NAME=VALUE") and ``values`` override."""
    defaults = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": str(workdir / "static"),
        # Generous limits: the load logs in nobody, but the seeding does.
        "LOGIN_THROTTLE_ACCOUNT_LIMIT": "1000",
        "LOGIN_THROTTLE_ADDRESS_LIMIT": "1000",
    }
    env = environment(**{**defaults, **values, **dict(item.split("=", 1) for item in settings)})
    check(manage("migrate_with_lock", "--noinput", env=env), "migrate")
    check(manage("collectstatic", "--noinput", env=env), "collectstatic")
    seed = (
        "from django.utils import timezone; from accounts.models import User; "
        f"User.objects.create_user('bench', 'bench@example.com', {PASSWORD!r}, "
        "email_verified_at=timezone.now())"
    )
    check(manage("shell", "-c", seed, env=env), "seeding")
    return env


def uvicorn_command(module, workers):
    """uvicorn's own command line for ``module``'s application, with the
    options the service's server uses (app/server/run.py)."""
    return [
        "uvicorn",
        f"{module}:application",
        "--app-dir",
        str(REPO_DIR),
        "--workers",
        str(workers),
        "--proxy-headers",
        "--no-access-log",
        "--no-server-header",
        "--lifespan",
        "on",
    ]


def log_in(url, username):
    client = FormClient(url)
    status, _, _ = client.submit("/accounts/login/", {"username": username, "password": PASSWORD})
    if status != 302:
        raise SystemExit(f"could not log in to {url} (status {status})")
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies)


def print_table(results, ceiling, workers, args):
    print(
        f"\n{args.connections} connections, {args.duration} s per scenario and server, "
        f"medians of {args.rounds} alternating round(s), "
        f"{workers} workers each; ceiling (raw ASGI on uvicorn): "
        f"{ceiling.requests_per_second:.0f} req/s, p99 {ceiling.p99_ms:.1f} ms\n"
    )
    header = f"{'scenario':<22}"
    for name in args.servers:
        header += f" | {name[:14]:>14} {'p50':>6} {'p99':>6} {'err':>4} {'ref':>4} {'RSS':>4}"
    header += "".join(f" | {'x ' + name[:12]:>14}" for name in args.servers[1:])
    print(header)
    print("-" * len(header))
    for row in results:
        line = f"{row['scenario']:<22}"
        for name in args.servers:
            one = row[name]
            line += (
                f" | {one['requests_per_second']:>14.0f} {one['p50_ms']:>6.1f}"
                f" {one['p99_ms']:>6.1f} {one['errors']:>4} {one['refused']:>4}"
                f" {one['peak_rss_mb']:>4.0f}"
            )
        line += "".join(f" | {row[f'ratio_to_{name}']:>14.2f}" for name in args.servers[1:])
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds: check every scenario")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=None)
    parser.add_argument("--warmup", type=int, default=None)
    parser.add_argument(
        "--rounds", type=int, default=None, help="alternating rounds per scenario (medians)"
    )
    parser.add_argument("--json", type=Path, default=REPO_DIR / "bench" / "results.json")
    parser.add_argument(
        "--only", action="append", default=[], help="run only the scenarios whose name has this"
    )
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help="the servers to measure, comma-separated (ours always; default: all)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for both servers, such as DATABASE_POOL_MAX_SIZE=4",
    )
    args = parser.parse_args()
    args.servers = [name for name in SERVERS if name == "ours" or name in args.servers.split(",")]
    args.connections = args.connections or (8 if args.quick else 64)
    args.duration = args.duration or (1 if args.quick else 8)
    args.warmup = args.warmup if args.warmup is not None else (0 if args.quick else 2)
    args.rounds = args.rounds or (1 if args.quick else 2)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    base_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    with Database(base_url) as database:
        env = prepare(database, workdir, args.set)
        manifest = json.loads((workdir / "static" / "staticfiles.json").read_text())["paths"]

        env["WEB_CONCURRENCY"] = str(args.workers)
        makers = {
            # With its metrics on a port of their own, as the image runs it.
            "ours": lambda: Server({**env, "METRICS_PORT": str(free_port())}),
            # The same app on Django's own ASGI handler: what the fast path gains.
            "django_handler": lambda: Server(
                {**env, "METRICS_PORT": str(free_port()), "ASGI_HANDLER": "django"}
            ),
            "unguarded": lambda: Server(
                env, command=uvicorn_command("bench.unguarded_asgi", args.workers)
            ),
        }
        servers = {}
        for name in args.servers:
            if name in makers:
                servers[name] = makers[name]()
                servers[name].start(workdir / f"{name}.log")
        if "gunicorn" in args.servers:
            servers["gunicorn"] = Gunicorn(env, args.workers, workdir / "gunicorn.log")
        ceiling_server = Server(env, command=uvicorn_command("bench.hello_asgi", args.workers))
        try:
            scenarios = [
                Scenario("home, anonymous", "/"),
                Scenario("about, anonymous", "/about/"),
                Scenario("login page (CSRF)", "/accounts/login/"),
                Scenario("home, logged in", "/", logged_in=True),
                Scenario("/readyz (database)", "/readyz"),
                Scenario("static file (hashed)", "/static/" + manifest["css/site.css"]),
            ]
            if args.only:
                scenarios = [s for s in scenarios if any(word in s.name for word in args.only)]
            cookies = {name: log_in(server.url, "bench") for name, server in servers.items()}
            results = []
            for scenario in scenarios:
                rounds = {name: [] for name in args.servers}
                for number in range(args.rounds):
                    # Alternating rounds: neither server always goes first.
                    order = args.servers if number % 2 == 0 else args.servers[::-1]
                    for name in order:
                        server = servers[name]
                        cookie = cookies[name] if scenario.logged_in else ""
                        try:
                            status, _, _ = FormClient(server.url).request(
                                scenario.path, headers={"Cookie": cookie} if cookie else None
                            )
                        except OSError as error:
                            raise SystemExit(
                                f"{scenario.name} on {name}: {error!r} (logs in {workdir})"
                            ) from None
                        if status != 200:
                            raise SystemExit(f"{scenario.name} answered {status} on {name}")
                        rounds[name].append(
                            measure(
                                server, Scenario(scenario.name, scenario.path, cookie=cookie), args
                            )
                        )
                result = {"scenario": scenario.name}
                result.update({name: median_of(measures) for name, measures in rounds.items()})
                results.append(result)
        finally:
            for server in servers.values():
                server.stop()

        ceiling_server.start(workdir / "ceiling.log")
        try:
            ceiling = measure(ceiling_server, Scenario("hello", "/"), args)
        finally:
            ceiling_server.stop()

    rows = []
    for result in results:
        mine = result["ours"]
        row = {"scenario": result["scenario"]}
        row.update({name: asdict(result[name]) for name in args.servers})
        for name in args.servers[1:]:
            row[f"ratio_to_{name}"] = round(
                mine.requests_per_second / result[name].requests_per_second, 2
            )
        row["ratio_to_ceiling"] = round(mine.requests_per_second / ceiling.requests_per_second, 3)
        rows.append(row)
    report = {
        "mode": "quick" if args.quick else "full",
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "workers": args.workers,
        "connections": args.connections,
        "seconds_per_scenario": args.duration,
        "rounds": args.rounds,
        "ceiling": asdict(ceiling),
        "scenarios": rows,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_table(rows, ceiling, args.workers, args)
    print(f"\nJSON: {args.json}")
    shutil.rmtree(workdir, ignore_errors=True)

    refused = sum(row[name]["refused"] for row in rows for name in args.servers)
    if refused:
        print(f"{refused} requests refused for overload (503 with Retry-After), not errors")
    errors = sum(row[name]["errors"] for row in rows for name in args.servers)
    errors += ceiling.errors
    if errors:
        raise SystemExit(f"{errors} requests failed under load")


if __name__ == "__main__":
    main()
