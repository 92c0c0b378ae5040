"""The overload curve: our server and gunicorn, past what they can serve.

    uv run python bench/overload.py            # the curve in docs/performance.md
    uv run python bench/overload.py --quick    # seconds: the harness works

Both servers are started as bench/run.py starts them (2 workers each, the
same database and settings). For each concurrency (16, 64, 256, 1024 by
default) wrk drives one page for ``--duration`` seconds, and a probe client
beside it sends one request at a time, each on a new connection, and times
it. The report gives, per server and concurrency:

- req/s: every answer wrk got; **goodput**: the 2xx ones per second;
- wrk's p99 over every answer, refusals included;
- **refused**: the share of answers that were 503 (wrk's non-2xx count);
  timeouts: requests wrk gave up on (after 2 s);
- from the probe: the p99 of its requests that were served, and of those
  refused (the time to a refusal, from a new connection), and the slowest
  refusal.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
sys.path.insert(1, str(REPO_DIR / "app"))

from bench.run import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    Database,
    Gunicorn,
    log_in,
    parse_wrk,
    prepare,
)
from tests.support import Server, free_port  # noqa: E402

PAGES = {"logged in": ("/", True), "anonymous": ("/", False), "about": ("/about/", False)}


class Probe:
    """Requests one at a time, each on a new connection, while the load runs:
    (status, seconds) of each."""

    def __init__(self, url, cookie):
        self.url = url
        self.headers = {"Cookie": cookie} if cookie else {}
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                request = urllib.request.Request(self.url, headers=self.headers)  # noqa: S310 - http://127.0.0.1
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = None
            self.samples.append((status, time.perf_counter() - started))
            self.stop.wait(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def p99_ms(self, status):
        """The p99 of the probe's requests answered ``status``."""
        times = sorted(seconds for answered, seconds in self.samples if answered == status)
        return (
            round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 1) if times else None
        )

    def slowest_refusal_ms(self):
        times = [seconds for status, seconds in self.samples if status == 503]
        return round(max(times) * 1000, 1) if times else None


def timeouts(output):
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return int(match.group(4)) if match else 0


def drive(url, cookie, connections, seconds):
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "2s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    with Probe(url, cookie) as probe:
        result = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
        )
    rps, _, p99, _, requests = parse_wrk(result.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    refused = int(non_2xx.group(1)) if non_2xx else 0
    lost = timeouts(result.stdout)
    return {
        "connections": connections,
        "requests_per_second": round(rps, 1),
        "goodput": round(rps * (requests - refused) / requests, 1) if requests else 0,
        "p99_ms": p99,
        "refused_share": round(refused / requests, 3) if requests else 0,
        "timeouts": lost,
        "probe_requests": len(probe.samples),
        "probe_served_p99_ms": probe.p99_ms(200),
        "probe_refused": sum(1 for status, _ in probe.samples if status == 503),
        "probe_refusal_p99_ms": probe.p99_ms(503),
        "probe_slowest_refusal_ms": probe.slowest_refusal_ms(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seconds: the harness works")
    parser.add_argument("--page", choices=sorted(PAGES), default="logged in")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=None)
    parser.add_argument("--connections", type=int, action="append", default=[])
    parser.add_argument("--json", type=Path, default=REPO_DIR / "bench" / "results-overload.json")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    args.duration = args.duration or (1 if args.quick else 8)
    args.connections = args.connections or ([8, 32] if args.quick else [16, 64, 256, 1024])
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it (apt-get install wrk)")
    path, logged_in = PAGES[args.page]

    workdir = Path(tempfile.mkdtemp(prefix="overload-"))
    curves = {}
    with Database(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)) as database:
        env = prepare(database, workdir, args.set)
        env["WEB_CONCURRENCY"] = str(args.workers)
        for name in ("ours", "gunicorn"):
            if name == "ours":
                server = Server({**env, "METRICS_PORT": str(free_port())})
                server.start(workdir / "ours.log")
            else:
                server = Gunicorn(env, args.workers, workdir / "gunicorn.log")
            try:
                cookie = log_in(server.url, "bench") if logged_in else ""
                drive(server.url + path, cookie, args.connections[0], 1 if args.quick else 3)
                curves[name] = [
                    drive(server.url + path, cookie, connections, args.duration)
                    for connections in args.connections
                ]
            finally:
                server.stop()

    report = {
        "mode": "quick" if args.quick else "full",
        "page": args.page,
        "workers": args.workers,
        "seconds_per_point": args.duration,
        "curves": curves,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n{args.page} page, {args.workers} workers each, {args.duration} s per point\n")
    header = (
        f"{'server':<9} {'conns':>6} {'req/s':>8} {'goodput':>8} {'p99 ms':>8} {'refused':>8}"
        f" {'timeouts':>8} {'probe served p99':>17} {'probe 503s':>10} {'503 p99':>8}"
        f" {'slowest 503':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, points in curves.items():
        for point in points:
            print(
                f"{name:<9} {point['connections']:>6} {point['requests_per_second']:>8.0f}"
                f" {point['goodput']:>8.0f} {point['p99_ms']:>8.1f}"
                f" {point['refused_share']:>8.1%} {point['timeouts']:>8}"
                f" {point['probe_served_p99_ms'] or '-':>17} {point['probe_refused']:>10}"
                f" {point['probe_refusal_p99_ms'] or '-':>8}"
                f" {point['probe_slowest_refusal_ms'] or '-':>12}"
            )
    print(f"\nJSON: {args.json}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
