"""Reading the Dockerfile and the compose files, for the tests that hold the
places that must agree to each other."""

import json
import re
from pathlib import Path

import yaml

REPO_DIR = Path(__file__).resolve().parent.parent

DOCKERFILE = REPO_DIR / "Dockerfile"
COMPOSE_FILES = {"dev": REPO_DIR / "compose.dev.yaml", "prod": REPO_DIR / "compose.prod.yaml"}


def dockerfile_instructions():
    """(stage, instruction, arguments) for each instruction, continuations joined."""
    stage = None
    logical = ""
    result = []
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        instruction, _, arguments = logical.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            match = re.search(r"\bAS\s+(\S+)", arguments, re.IGNORECASE)
            stage = match.group(1) if match else None
        result.append((stage, instruction, arguments.strip()))
        logical = ""
    return result


def dockerfile_args():
    """The default of each global ARG (those before the first FROM)."""
    defaults = {}
    for _stage, instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            break
        if instruction == "ARG" and "=" in arguments:
            name, value = arguments.split("=", 1)
            defaults[name] = value.strip('"')
    return defaults


def stage_instructions(stage, instruction):
    return [
        arguments
        for found_stage, found, arguments in dockerfile_instructions()
        if found_stage == stage and found == instruction
    ]


def exec_form(arguments):
    """The list of an exec-form CMD, ENTRYPOINT or HEALTHCHECK CMD."""
    return json.loads(arguments[arguments.index("[") :])


def env_names(stage):
    names = set()
    for arguments in stage_instructions(stage, "ENV"):
        names.update(re.findall(r"(?:^|\s)([A-Z_][A-Z0-9_]*)=", arguments))
    return names


def image_environment(stage="base"):
    """The variables a stage's ENV instructions set, with their values."""
    values = {}
    for arguments in stage_instructions(stage, "ENV"):
        for name, value in re.findall(r"([A-Z_][A-Z0-9_]*)=(\S*)", arguments):
            values[name] = value.strip('"')
    return values


def production_command():
    """The runtime stage's CMD: the service's server (python -m server …)."""
    (cmd,) = stage_instructions("runtime", "CMD")
    return exec_form(cmd)


def compose(name):
    return yaml.safe_load(COMPOSE_FILES[name].read_text())


def with_defaults(text):
    """``text`` with each ``${NAME:-default}`` replaced by its default, as
    compose reads it when NAME is unset."""
    return re.sub(r"\$\{[A-Z_][A-Z0-9_]*:-([^}]*)\}", r"\1", text)


def healthcheck_url(test):
    """The URL a healthcheck test (list or shell string) asks for."""
    text = test if isinstance(test, str) else " ".join(test)
    return re.search(r"https?://[^'\"\s]+", text).group(0)
