"""Rendering the kustomize overlays, as a cluster would receive them."""

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests.dockerfiles import REPO_DIR

K8S_DIR = REPO_DIR / "k8s"
TARGETS = ("base", "overlays/dev", "overlays/prod")
KUBERNETES_VERSION = "1.33.0"


@functools.cache
def rendered_yaml(target):
    """``kubectl kustomize`` of a target, in a copy of k8s/ whose secret env
    files are filled from the committed examples (the real ones are never
    committed)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise AssertionError(
            "kubectl is not on PATH: install it to render k8s/ (kubectl kustomize)"
        )
    with tempfile.TemporaryDirectory(prefix="k8s-") as workdir:
        copy = Path(workdir) / "k8s"
        shutil.copytree(K8S_DIR, copy, ignore=shutil.ignore_patterns("secret.env", "postgres.env"))
        for example in copy.glob("overlays/*/*.env.example"):
            shutil.copy(example, example.with_suffix(""))
        result = subprocess.run(
            [kubectl, "kustomize", str(copy / target)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {target} failed:\n{result.stderr}")
    return result.stdout


def objects(target):
    return [doc for doc in yaml.safe_load_all(rendered_yaml(target)) if doc]


def find(target, kind, name=None):
    return [
        obj
        for obj in objects(target)
        if obj["kind"] == kind and (name is None or obj["metadata"]["name"] == name)
    ]


def one(target, kind, name):
    (obj,) = find(target, kind, name)
    return obj


def pod_specs(target):
    """(owner, pod spec) of every workload."""
    specs = []
    for obj in objects(target):
        if obj["kind"] in {"Deployment", "StatefulSet", "Job"}:
            specs.append((f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]))
    return specs
