"""A PostgreSQL server of the tests' own, on a free loopback port, for the
fault tests that restart it (the shared server on 5432 is left alone)."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support import free_port


def bin_dir():
    found = shutil.which("pg_config")
    if found:
        path = subprocess.run(
            [found, "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(path) / "initdb").exists():
            return Path(path)
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        raise AssertionError("No PostgreSQL server binaries (initdb, pg_ctl): install postgresql")
    return versions[-1].parent


class PostgresInstance:
    def __init__(self):
        self.bin = bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pg-instance-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def run(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, check=True
        )

    @property
    def options(self):
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=60"

    def start(self):
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", self.options, "-w", "start",
        )  # fmt: skip
        return self

    def restart(self, mode):
        self.run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", self.options, "-m", mode, "-w", "restart",
        )  # fmt: skip

    def stop(self):
        try:
            self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"
