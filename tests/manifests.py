"""Rendering the kustomize overlays, as a cluster would receive them."""

import functools
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests.dockerfiles import REPO_DIR

K8S_DIR = REPO_DIR / "k8s"
TARGETS = ("base", "overlays/dev", "overlays/prod")
KUBERNETES_VERSION = "1.33.0"
# The custom resources' API groups, validated against the Gateway API schemas
# of the npm package pinned in tests/k8s-schemas (validate.mjs); every other
# object against Kubernetes' own (kubernetes-validate).
GATEWAY_API_GROUPS = ("gateway.networking.k8s.io", "gateway.networking.x-k8s.io")
SCHEMAS_DIR = REPO_DIR / "tests" / "k8s-schemas"
SCHEMAS_PACKAGE = "@kubernetes-models/gateway-api"


@functools.cache
def rendered_yaml(target, components=()):
    """``kubectl kustomize`` of a target, in a copy of k8s/ whose secret env
    files are filled from the committed examples (the real ones are never
    committed); ``components`` (paths under k8s/) are added to the target's
    own, as an overlay would list them."""
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
        if components:
            kustomization_file = copy / target / "kustomization.yaml"
            kustomization = yaml.safe_load(kustomization_file.read_text())
            depth = "../" * len(Path(target).parts)
            kustomization["components"] += [depth + component for component in components]
            kustomization_file.write_text(yaml.safe_dump(kustomization))
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


def objects(target, components=()):
    return [doc for doc in yaml.safe_load_all(rendered_yaml(target, components)) if doc]


def is_gateway_api(obj):
    return obj["apiVersion"].partition("/")[0] in GATEWAY_API_GROUPS


def gateway_api_problems(objs, schemas_dir=SCHEMAS_DIR):
    """What is wrong with these Gateway API objects, by their schemas in the
    pinned npm package (unknown fields included), one line per problem;
    empty when they are valid."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not on PATH: install Node.js (20 or newer) and npm")
    pinned = json.loads((schemas_dir / "package.json").read_text())["dependencies"][SCHEMAS_PACKAGE]
    installed = schemas_dir / "node_modules" / SCHEMAS_PACKAGE / "package.json"
    where = (
        schemas_dir.relative_to(REPO_DIR) if schemas_dir.is_relative_to(REPO_DIR) else schemas_dir
    )
    install = f"npm ci --prefix {where}"
    if not installed.is_file():
        raise AssertionError(
            f"the Gateway API schemas are not installed (the npm package {SCHEMAS_PACKAGE} "
            f"{pinned}): run `{install}`"
        )
    version = json.loads(installed.read_text())["version"]
    if version != pinned:
        raise AssertionError(
            f"{SCHEMAS_PACKAGE} {version} is installed, {pinned} is pinned: run `{install}`"
        )
    result = subprocess.run(
        [node, str(schemas_dir / "validate.mjs")],
        input=json.dumps(objs),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode not in (0, 1) or result.stderr:
        raise AssertionError(f"validate.mjs failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


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
    """(owner, pod template) of every workload, a CronJob's included."""
    specs = []
    for obj in objects(target):
        owner = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] in {"Deployment", "StatefulSet", "Job"}:
            specs.append((owner, obj["spec"]["template"]))
        elif obj["kind"] == "CronJob":
            specs.append((owner, obj["spec"]["jobTemplate"]["spec"]["template"]))
    return specs
