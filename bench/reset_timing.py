"""The password-reset form's answer time, for an address with an account
and one without: the request only enqueues, so the two should not differ.

    uv run python bench/reset_timing.py            # 300 requests of each, interleaved
    uv run python bench/reset_timing.py --requests 50

The server runs as the image runs it (production settings, the real server
process) on a fresh database with one account; no worker runs, so the
tasks wait in the table and nothing but the request is timed. Each request
is a POST of the form with its CSRF token, timed from send to answer.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))
sys.path.insert(1, str(REPO_DIR / "app"))

from accounts.tests.factories import csrf_token_in  # noqa: E402
from bench.run import DEFAULT_DATABASE_URL, Database, prepare  # noqa: E402
from tests.support import FormClient, Server  # noqa: E402

KNOWN, UNKNOWN = "bench@example.com", "nobody@example.com"


def timed_reset(url, email):
    client = FormClient(url)
    _, _, page = client.request("/accounts/password_reset/")
    form = {"email": email, "csrfmiddlewaretoken": csrf_token_in(page)}
    started = time.perf_counter()
    status, _, _ = client.request("/accounts/password_reset/", form)
    elapsed = time.perf_counter() - started
    if status != 302:
        raise SystemExit(f"the reset answered {status} for {email}")
    return elapsed * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="of each kind (default 300)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args()
    limit = str(10 * args.requests)
    with Database(args.database_url) as database, tempfile.TemporaryDirectory() as workdir:
        env = prepare(
            database,
            Path(workdir),
            PASSWORD_RESET_THROTTLE_EMAIL_LIMIT=limit,
            PASSWORD_RESET_THROTTLE_ADDRESS_LIMIT=limit,
        )
        server = Server(env).start(Path(workdir) / "server.log")
        try:
            for email in (KNOWN, UNKNOWN) * 10:  # warm up
                timed_reset(server.url, email)
            times = {KNOWN: [], UNKNOWN: []}
            for _ in range(args.requests):
                for email in (KNOWN, UNKNOWN):
                    times[email].append(timed_reset(server.url, email))
        finally:
            server.stop()
    print(f"{'address':<22}{'median ms':>10}{'p90 ms':>9}{'requests':>10}")
    for label, email in (("with an account", KNOWN), ("without an account", UNKNOWN)):
        ms = times[email]
        p90 = statistics.quantiles(ms, n=10)[-1]
        print(f"{label:<22}{statistics.median(ms):>10.2f}{p90:>9.2f}{len(ms):>10}")
    known, unknown = (statistics.median(times[e]) for e in (KNOWN, UNKNOWN))
    print(f"difference of the medians: {known - unknown:+.2f} ms ({known / unknown:.3f}x)")


if __name__ == "__main__":
    main()
