"""Figures of the production edge (compose.prod.yaml), on a real Docker engine:

- seconds from `docker compose up` (image already built) to the first HTTPS 200;
- seconds for a backup and a restore of a database of USERS users;
- the size of each image.

    python bench/edge.py [--users 10000] [--rounds 3]

It starts its own compose project on free ports and removes it (volumes
included) at the end.
"""

import argparse
import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
ROOT_CERTIFICATE = "/data/caddy/pki/authorities/local/root.crt"
CREATE_USERS = """
from django.contrib.auth.hashers import make_password
from accounts.models import User
password = make_password("a-long-unusual-passphrase")
User.objects.bulk_create(
    [
        User(
            username=f"user{n}", email=f"user{n}@example.com", password=password,
            username_canonical=f"user{n}", email_canonical=f"user{n}@example.com",
        )
        for n in range(USERS)
    ],
    batch_size=1000,
)
print(User.objects.count())
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Project:
    def __init__(self):
        self.name = f"djangoship-edge-{secrets.token_hex(4)}"
        self.https_port = free_port()
        self.env = {
            **os.environ,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
            "IMAGE_TAG": self.name,
            "HTTP_PORT": str(free_port()),
            "HTTPS_PORT": str(self.https_port),
            "EDGE_PREFIX": f"172.30.{128 + secrets.randbelow(122)}",
        }

    def compose(self, *args, check=True):
        result = subprocess.run(
            ["docker", "compose", "-p", self.name, "-f", "compose.prod.yaml", *args],
            cwd=REPO_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            sys.exit(f"docker compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def timed(self, *args):
        started = time.monotonic()
        result = self.compose(*args)
        return time.monotonic() - started, result.stdout


def seconds_to_first_https_answer(project, certificate):
    started = time.monotonic()
    project.compose("up", "--detach")
    context = None
    while time.monotonic() - started < 300:
        if context is None:
            copied = project.compose("cp", f"proxy:{ROOT_CERTIFICATE}", certificate, check=False)
            if copied.returncode == 0 and Path(certificate).stat().st_size:
                context = ssl.create_default_context(cafile=certificate)
        if context is not None:
            url = f"https://localhost:{project.https_port}/"
            try:
                with urllib.request.urlopen(url, context=context, timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except OSError:
                pass
        time.sleep(0.05)
    sys.exit("no HTTPS 200 within 300 s")


def last_json_line(output):
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    project = Project()
    try:
        project.compose("build")
        with tempfile.TemporaryDirectory() as workdir:
            certificate = str(Path(workdir) / "root.crt")
            up = seconds_to_first_https_answer(project, certificate)
        print(f"up to the first HTTPS 200: {up:.1f} s")
        code = CREATE_USERS.replace("USERS", str(args.users))
        created = project.compose("exec", "-T", "web", "python", "manage.py", "shell", "-c", code)
        (count,) = [line for line in created.stdout.splitlines() if line.strip().isdigit()]
        print(f"users in the database: {count}")
        for _ in range(args.rounds):
            seconds, output = project.timed("run", "--rm", "backup", "once")
            line = last_json_line(output)
            print(
                f"backup: {seconds:.2f} s for compose run, pg_dump {line['milliseconds']} ms, "
                f"{line['bytes']} bytes"
            )
        project.compose("stop", "web", "proxy")
        for _ in range(args.rounds):
            seconds, output = project.timed("run", "--rm", "backup", "restore", "latest")
            line = last_json_line(output)
            print(f"restore: {seconds:.2f} s for compose run, pg_restore {line['milliseconds']} ms")
        images = subprocess.run(
            ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        wanted = (f"djangoship:{project.name}", "caddy:", "postgres:")
        for image in images:
            if image.startswith(wanted):
                print(f"image {image}")
    finally:
        project.compose("down", "--volumes", "--rmi", "local", check=False)


if __name__ == "__main__":
    main()
