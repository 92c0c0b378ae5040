"""A logged-in page under a signup storm, with and without the bound on
password hashing (limits/admission.py).

    uv run python bench/signup_storm.py                 # both: bound off, then on
    uv run python bench/signup_storm.py --only on       # one of them

For each variant it starts our server as bench/run.py starts it (the image's
command, DEBUG off, production settings, the pool, WEB_CONCURRENCY=--workers)
on a fresh database, logs a user in, then: wrk measures the profile page alone
(quiet), and again while a second wrk keeps --storm connections posting
signups in a loop, each a new user (so each hashes a password with PBKDF2).
The signup throttle is raised for the run: a real storm comes from many
addresses, this one from loopback. The report gives the profile page's
requests/s, p50, p99 and failures (non-2xx/3xx and timeouts), and what the
signups were answered, as a table and as JSON.

"bound off" is PASSWORD_HASHING_CONCURRENCY=0: each request takes a pooled
connection at its first query and holds it through the hashing, as Django
does; "bound on" is the default of the settings.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

from bench.run import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    PASSWORD,
    Database,
    FormClient,
    Server,
    log_in,
    parse_wrk,
    prepare,
)

VARIANTS = {
    "off": {"PASSWORD_HASHING_CONCURRENCY": "0"},
    "on": {},  # the settings' defaults
}

# wrk's script for the storm: each request a signup of a new user, with one
# CSRF cookie and token; the answers are counted by status.
STORM_LUA = """
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token, cookie, run, password = args[1], args[2], args[3], args[4]
  n = 0
  counts = {}
end

function request()
  n = n + 1
  local name = run .. "t" .. id .. "n" .. n
  local body = "username=" .. name .. "&email=" .. name .. "%40example.com"
    .. "&password1=" .. password .. "&password2=" .. password
    .. "&csrfmiddlewaretoken=" .. token
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }
  return wrk.format("POST", "/accounts/signup/", headers, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("status %d %d\\n", status, count))
  end
end
"""


def wrk(url, seconds, connections, cookie="", script=None, script_args=()):
    """wrk's output; a generous timeout, so that slow answers are measured
    rather than dropped as timeouts from the latency figures."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 90, check=True
    )
    return result.stdout


def page_figures(output):
    rps, p50, p99, errors, requests = parse_wrk(output)
    return {
        "requests_per_second": round(rps, 1),
        "p50_ms": p50,
        "p99_ms": p99,
        "failed": errors,
        "requests": requests,
    }


def storm_figures(output, seconds):
    counts = {int(s): int(n) for s, n in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
    answered = sum(counts.values())
    return {
        "answers": dict(sorted(counts.items())),
        "signups_per_second": round(counts.get(302, 0) / seconds, 1),
        "answered": answered,
    }


def signup_form(url):
    """A CSRF cookie and a form token that goes with it."""
    client = FormClient(url)
    status, _, page = client.request("/accounts/signup/")
    if status != 200:
        raise SystemExit(f"the signup page answered {status}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies)
    return token, cookie


def run_variant(name, env, args, workdir):
    server = Server({**env, **VARIANTS[name]}).start(workdir / f"server-{name}.log")
    try:
        url = server.url
        cookie = log_in(url, "bench")
        profile = url + "/accounts/profile/"
        status, _, _ = FormClient(url).request("/accounts/profile/", headers={"Cookie": cookie})
        if status != 200:
            raise SystemExit(f"the profile answered {status}")
        wrk(profile, 2, args.connections, cookie)  # warm-up
        quiet = page_figures(wrk(profile, args.duration, args.connections, cookie))

        token, csrf_cookie = signup_form(url)
        script = workdir / "storm.lua"
        script.write_text(STORM_LUA)
        storm_seconds = args.warmup + args.duration + 2
        storm_output = {}

        def storm():
            storm_output["text"] = wrk(
                url + "/accounts/signup/",
                storm_seconds,
                args.storm,
                script=script,
                script_args=[token, csrf_cookie, f"{name}{secrets.token_hex(3)}", PASSWORD],
            )

        storming = threading.Thread(target=storm)
        storming.start()
        time.sleep(args.warmup)  # let the storm fill the server first
        stormy = page_figures(wrk(profile, args.duration, args.connections, cookie))
        storming.join()
        return {
            "bound": name,
            "settings": VARIANTS[name] or "defaults",
            "profile_quiet": quiet,
            "profile_in_storm": stormy,
            "signups": storm_figures(storm_output["text"], storm_seconds),
        }
    finally:
        server.stop()


def print_report(rows, args):
    print(
        f"\nprofile page: {args.connections} connections, {args.duration} s; "
        f"storm: {args.storm} connections posting signups; {args.workers} workers\n"
    )
    header = (
        f"{'hashing bound':<14} {'quiet p99':>10} {'storm req/s':>12} {'storm p50':>10}"
        f" {'storm p99':>10} {'failed':>7} | signups answered"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        quiet, stormy, signups = row["profile_quiet"], row["profile_in_storm"], row["signups"]
        answers = ", ".join(f"{status}: {count}" for status, count in signups["answers"].items())
        if stormy["requests"]:
            latency = f"{stormy['p50_ms']:>8.1f}ms {stormy['p99_ms']:>8.1f}ms"
        else:  # nothing came back within the measurement
            latency = f"{'none':>10} {'none':>10}"
        print(
            f"{row['bound']:<14} {quiet['p99_ms']:>8.1f}ms {stormy['requests_per_second']:>12.1f}"
            f" {latency} {stormy['failed']:>7} | {answers}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(VARIANTS), action="append", default=[])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4, help="on the profile page")
    parser.add_argument("--storm", type=int, default=32, help="connections posting signups")
    # Longer than the pool's timeout (10 s), so that requests starved of a
    # connection are answered (503) within the measurement and counted.
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--json", type=Path, default=REPO_DIR / "bench" / "results-signup-storm.json"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a server variable"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="signup-storm-"))
    base_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    rows = []
    with Database(base_url) as database:
        env = prepare(
            database,
            workdir,
            args.set,
            # The storm comes from one address here, from many in reality.
            SIGNUP_THROTTLE_ADDRESS_LIMIT="100000",
            WEB_CONCURRENCY=str(args.workers),
        )
        for name in args.only or list(VARIANTS):
            rows.append(run_variant(name, env, args, workdir))

    report = {
        "workers": args.workers,
        "profile_connections": args.connections,
        "storm_connections": args.storm,
        "seconds": args.duration,
        "variants": rows,
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print_report(rows, args)
    print(f"\nJSON: {args.json}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
