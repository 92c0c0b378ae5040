"""The Kubernetes manifests, rendered and checked offline: strict schema
validation (Kubernetes' own kinds and the Gateway API's), the policies we
promise, checkov, and the backup script."""

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import pytest
import yaml
from django.test import SimpleTestCase

from config import settings
from config.tests.settings_module import settings_read_from
from health import paths as health
from server import run as server
from tests import dockerfiles, manifests
from tests.manifests import K8S_DIR, KUBERNETES_VERSION, TARGETS, find, objects, one, pod_specs
from tests.support import REPO_DIR

pytestmark = pytest.mark.k8s

BIN = Path(sys.executable).parent
OVERLAYS = ("overlays/dev", "overlays/prod")
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")
INGRESS_COMPONENT = ("components/ingress",)
BACKUP_SCRIPT = REPO_DIR / "k8s" / "overlays" / "dev" / "backup.sh"
DNS = {(53, "UDP"), (53, "TCP")}
# The workloads of the app's image that the service ships (labelled
# app.kubernetes.io/image: app), which take their pod from components/app-pod;
# a team's own periodic jobs join them (labelled_app_workloads).
APP_WORKLOADS = ("Deployment/web", "Deployment/worker", "Job/migrate", "CronJob/maintain")
APP_POD = K8S_DIR / "components" / "app-pod"
WORKER_PROBE = ["python", "-m", "worker.probe"]
# The port the image's server and worker serve their metrics on.
METRICS_PORT = int(dockerfiles.image_environment()["METRICS_PORT"])
# What the worker's pod must agree with: its stop, its threads and the
# connection pool they draw from, its heartbeat file.
WORKER_VARIABLES = (
    "WORKER_SHUTDOWN_TIMEOUT",
    "WORKER_CONCURRENCY",
    "DATABASE_POOL_MAX_SIZE",
    "WORKER_HEARTBEAT_FILE",
)


def web_container(target):
    deployment = one(target, "Deployment", "web")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def pod_spec(target, owner):
    """The pod spec of a workload, named "Kind/name"."""
    (template,) = [t for o, t in pod_specs(target) if o == owner]
    return template["spec"]


def app_container(target, owner):
    (container,) = pod_spec(target, owner)["containers"]
    return container


def pod_environment(target, owner):
    """The variables a workload's container starts with: the image's (the ENV
    of the runtime stage and of the base it is built on), then those of its
    envFrom (the ConfigMaps and Secrets as rendered; base renders no Secret),
    then its env."""
    environment = {
        **dockerfiles.image_environment("base"),
        **dockerfiles.image_environment("runtime"),
    }
    container = app_container(target, owner)
    for source in container.get("envFrom", []):
        ((kind, reference),) = source.items()
        assert kind in {"configMapRef", "secretRef"}, source
        if kind == "configMapRef":
            environment.update(one(target, "ConfigMap", reference["name"])["data"])
        for secret in find(target, "Secret", reference["name"]) if kind == "secretRef" else []:
            data = secret.get("data", {})
            environment.update({k: base64.b64decode(v).decode() for k, v in data.items()})
    for variable in container.get("env", []):
        environment[variable["name"]] = variable["value"]
    return environment


def pod_settings(target, owner, names=WORKER_VARIABLES):
    """The settings as the app reads them in a workload's pod, for these
    variables: the pod's values where its environment sets them, the
    settings' defaults where it does not."""
    environment = pod_environment(target, owner)
    return settings_read_from(
        unset=[name for name in names if name not in environment],
        **{name: environment[name] for name in names if name in environment},
    )


def labelled_app_workloads(target):
    """The workloads labelled app.kubernetes.io/image: app, "Kind/name"."""
    return {
        f"{obj['kind']}/{obj['metadata']['name']}"
        for obj in objects(target)
        if obj["metadata"].get("labels", {}).get("app.kubernetes.io/image") == "app"
    }


def app_commands():
    """The names of the management commands the app defines."""
    return {path.stem for path in (REPO_DIR / "app").glob("*/management/commands/*.py")}


def graceful_shutdown_seconds():
    return server.GRACEFUL_SHUTDOWN_SECONDS


def routes(target):
    """The HTTPRoutes, by the listener (sectionName) they attach to."""
    by_listener = {}
    for route in find(target, "HTTPRoute"):
        (parent,) = route["spec"]["parentRefs"]
        by_listener[parent["sectionName"]] = route
    return by_listener


def hostname(target):
    (host,) = {host for route in routes(target).values() for host in route["spec"]["hostnames"]}
    return host


def seconds(duration):
    """A Gateway API duration (GEP-2257: 1h, 2m30s, 500ms) in seconds."""
    assert re.fullmatch(r"(\d+(h|m|s|ms))+", duration), duration
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)(ms|h|m|s)", duration))


def kubernetes_validate(objs):
    """kubernetes-validate --strict's output for these objects; it fails on
    an invalid object and warns (we fail) on a kind it has no schema for."""
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "objects.yaml"
        path.write_text(yaml.safe_dump_all(objs))
        result = subprocess.run(
            [
                str(BIN / "kubernetes-validate"),
                "--strict",
                "--quiet",
                "-k",
                KUBERNETES_VERSION,
                path,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    return result.returncode, result.stdout + result.stderr


def selects(selector, labels):
    """Whether a label selector (matchLabels, matchExpressions) selects pods
    with these labels; the empty selector selects every pod."""
    assert set(selector) <= {"matchLabels", "matchExpressions"}, selector
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, values = expression["key"], expression.get("values", [])
        matches = {
            "In": key in labels and labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[expression["operator"]]
        if not matches:
            return False
    return True


def policies_selecting(target, labels):
    """The specs of the NetworkPolicies whose podSelector selects these labels."""
    return [
        policy["spec"]
        for policy in find(target, "NetworkPolicy")
        if selects(policy["spec"]["podSelector"], labels)
    ]


def allowed_egress(target, labels):
    """{(port, protocol)} that the NetworkPolicies let pods with these labels
    reach (policies whose podSelector selects them, all their egress rules)."""
    ports = set()
    for policy in policies_selecting(target, labels):
        for rule in policy.get("egress", []):
            ports |= {(p["port"], p["protocol"]) for p in rule["ports"]}
    return ports


def pod_labels(target, owner):
    (template,) = [t for o, t in pod_specs(target) if o == owner]
    return template["metadata"]["labels"]


def owner_labels(target, owner):
    """The labels of the workload itself (not of its pods)."""
    kind, _, name = owner.partition("/")
    return one(target, kind, name)["metadata"]["labels"]


def gateway_values(target):
    """The values of the target's gateway.yaml (the Gateway and the hostname)."""
    return yaml.safe_load((REPO_DIR / "k8s" / target / "gateway.yaml").read_text())["data"]


def gateway(target):
    """(name, namespace) of the Gateway that the routes attach to."""
    parents = {
        (p["name"], p["namespace"])
        for r in routes(target).values()
        for p in r["spec"]["parentRefs"]
    }
    (parent,) = parents
    return parent


def smtp_port():
    """The port of the SMTP relay in the prod overlay's example EMAIL_URL."""
    example = (REPO_DIR / "k8s" / "overlays" / "prod" / "secret.env.example").read_text()
    (url,) = re.findall(r"^EMAIL_URL=(.+)$", example, re.MULTILINE)
    return urllib.parse.urlsplit(url).port


class RenderingTests(SimpleTestCase):
    def test_base_and_both_overlays_render(self):
        for target in TARGETS:
            with self.subTest(target):
                kinds = {obj["kind"] for obj in objects(target)}
                self.assertLessEqual(
                    {
                        "Namespace",
                        "Deployment",
                        "Service",
                        "HTTPRoute",
                        "Job",
                        "CronJob",
                        "PodDisruptionBudget",
                        "NetworkPolicy",
                    },
                    kinds,
                )
                self.assertNotIn("Ingress", kinds)

    def test_every_object_validates_strictly_against_the_kubernetes_schemas(self):
        for target in TARGETS:
            builtin = [obj for obj in objects(target) if not manifests.is_gateway_api(obj)]
            returncode, output = kubernetes_validate(builtin)
            with self.subTest(target):
                self.assertEqual(returncode, 0, output)
                self.assertNotIn("WARN", output, "an object was not validated")

    def test_every_gateway_api_object_validates_strictly_against_the_gateway_api_schemas(self):
        for target in TARGETS:
            custom = [obj for obj in objects(target) if manifests.is_gateway_api(obj)]
            with self.subTest(target):
                self.assertEqual(len(custom), 2)
                self.assertEqual(manifests.gateway_api_problems(custom), "")

    def test_the_ingress_component_validates_strictly_too(self):
        for target in OVERLAYS:
            rendered = objects(target, INGRESS_COMPONENT)
            returncode, output = kubernetes_validate(rendered)
            with self.subTest(target):
                self.assertEqual(returncode, 0, output)
                self.assertNotIn("WARN", output, "an object was not validated")

    def test_checkov_passes_on_the_manifests_the_dockerfile_and_the_workflows(self):
        with tempfile.TemporaryDirectory() as workdir:
            scanned = Path(workdir)
            for target in OVERLAYS:
                path = scanned / (target.replace("/", "-") + ".yaml")
                path.write_text(manifests.rendered_yaml(target))
            shutil.copy(REPO_DIR / "Dockerfile", scanned / "Dockerfile")
            workflows = REPO_DIR / ".github" / "workflows"
            if workflows.is_dir():
                shutil.copytree(workflows, scanned / ".github" / "workflows")
            result = subprocess.run(
                [
                    str(BIN / "checkov"),
                    "--config-file",
                    str(REPO_DIR / ".checkov.yaml"),
                    "--directory",
                    workdir,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
        self.assertEqual(result.returncode, 0, result.stdout[-6000:] + result.stderr[-2000:])
        self.assertIn("dockerfile scan results", result.stdout)
        self.assertIn("kubernetes scan results", result.stdout)

    def test_every_skipped_checkov_check_has_its_reason_beside_it(self):
        lines = (REPO_DIR / ".checkov.yaml").read_text().splitlines()
        for number, line in enumerate(lines):
            if match := re.match(r"\s*- (CKV\w+)$", line):
                with self.subTest(match.group(1)):
                    self.assertIn(match.group(1), lines[number - 1] + "".join(lines[:number]))
                    self.assertTrue(lines[number - 1].strip().startswith("#"))


class GatewayApiSchemaTests(SimpleTestCase):
    """The Gateway API validation refuses what the cluster would refuse."""

    def route(self, **changes):
        route = copy.deepcopy(one("overlays/prod", "HTTPRoute", "web"))
        rule = route["spec"]["rules"][0]
        for path, value in changes.items():
            *parents, last = path.split(".")
            target = rule
            for key in parents:
                target = target[int(key)] if key.isdigit() else target[key]
            target[last] = value
        return route

    def test_an_unknown_field_is_refused(self):
        problems = manifests.gateway_api_problems([self.route(**{"timeouts.idle": "10s"})])
        self.assertEqual(
            problems,
            "HTTPRoute/web: /spec/rules/0/timeouts/idle: unknown field (not in the schema)\n",
        )

    def test_a_wrong_type_is_refused(self):
        problems = manifests.gateway_api_problems([self.route(**{"backendRefs.0.port": "80"})])
        self.assertEqual(
            problems, "HTTPRoute/web: /spec/rules/0/backendRefs/0/port: must be of type integer\n"
        )

    def test_a_value_the_schema_does_not_allow_is_refused(self):
        problems = manifests.gateway_api_problems([self.route(**{"timeouts.request": "a minute"})])
        self.assertIn("/spec/rules/0/timeouts/request: must match", problems)

    def test_a_kind_without_a_schema_is_refused(self):
        unknown = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Tunnel", "metadata": {}}
        self.assertIn("no schema for Tunnel", manifests.gateway_api_problems([unknown]))

    def test_without_the_npm_package_the_validation_says_how_to_install_it(self):
        with tempfile.TemporaryDirectory() as workdir:
            for name in ("package.json", "validate.mjs"):
                shutil.copy(manifests.SCHEMAS_DIR / name, workdir)
            with self.assertRaisesRegex(AssertionError, r"not installed .* run `npm ci --prefix"):
                manifests.gateway_api_problems([], schemas_dir=Path(workdir))


class PodSecurityTests(SimpleTestCase):
    def test_the_namespace_enforces_the_restricted_standard(self):
        for target in TARGETS:
            namespace = one(target, "Namespace", "djangoship")
            labels = namespace["metadata"]["labels"]
            self.assertEqual(labels["pod-security.kubernetes.io/enforce"], "restricted")

    def test_every_namespaced_object_is_in_the_service_namespace(self):
        for target in TARGETS:
            for obj in objects(target):
                if obj["kind"] != "Namespace":
                    with self.subTest(f"{target} {obj['kind']}/{obj['metadata']['name']}"):
                        self.assertEqual(obj["metadata"].get("namespace"), "djangoship")

    def test_every_pod_meets_the_restricted_profile(self):
        for target in OVERLAYS:
            for owner, template in pod_specs(target):
                spec = template["spec"]
                with self.subTest(f"{target} {owner}"):
                    pod = spec["securityContext"]
                    self.assertTrue(pod["runAsNonRoot"])
                    self.assertEqual(pod["seccompProfile"], {"type": "RuntimeDefault"})
                    self.assertGreaterEqual(pod["runAsUser"], 10000)
                    self.assertIs(spec["automountServiceAccountToken"], False)
                    for container in spec["containers"]:
                        context = container["securityContext"]
                        self.assertIs(context["allowPrivilegeEscalation"], False)
                        self.assertEqual(context["capabilities"], {"drop": ["ALL"]})
                        self.assertIs(context["readOnlyRootFilesystem"], True)
                        self.assertTrue(context["runAsNonRoot"])
                        self.assertEqual(context["seccompProfile"], {"type": "RuntimeDefault"})

    def test_the_app_pods_run_as_10001_with_an_empty_dir_for_tmp(self):
        for target in OVERLAYS:
            specs = dict(pod_specs(target))
            for owner in APP_WORKLOADS:
                spec = specs[owner]["spec"]
                with self.subTest(f"{target} {owner}"):
                    self.assertEqual(spec["securityContext"]["runAsUser"], 10001)
                    self.assertEqual(spec["securityContext"]["runAsGroup"], 10001)
                    (container,) = spec["containers"]
                    self.assertIn({"name": "tmp", "mountPath": "/tmp"}, container["volumeMounts"])
                    tmp = next(v for v in spec["volumes"] if v["name"] == "tmp")
                    self.assertIn("emptyDir", tmp)

    def test_the_service_account_mounts_no_token(self):
        for target in TARGETS:
            account = one(target, "ServiceAccount", "web")
            self.assertIs(account["automountServiceAccountToken"], False)
            for owner in APP_WORKLOADS:
                with self.subTest(f"{target} {owner}"):
                    spec = pod_spec(target, owner)
                    self.assertEqual(spec["serviceAccountName"], account["metadata"]["name"])
                    self.assertIs(spec["automountServiceAccountToken"], False)


class WorkloadTests(SimpleTestCase):
    def test_probes_are_distinct_and_ask_the_right_paths(self):
        container = web_container("overlays/prod")
        self.assertEqual(container["startupProbe"]["httpGet"]["path"], health.LIVENESS_PATH)
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], health.LIVENESS_PATH)
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], health.READINESS_PATH)
        probes = [container[p] for p in ("startupProbe", "livenessProbe", "readinessProbe")]
        self.assertEqual(len({repr(p) for p in probes}), 3)

    def test_every_container_has_requests_and_limits(self):
        for target in OVERLAYS:
            for owner, template in pod_specs(target):
                for container in template["spec"]["containers"]:
                    with self.subTest(f"{target} {owner}"):
                        resources = container["resources"]
                        self.assertEqual(set(resources["requests"]), set(RESOURCE_NAMES))
                        self.assertEqual(set(resources["limits"]), set(RESOURCE_NAMES))

    def test_no_image_uses_latest_or_no_tag(self):
        for target in TARGETS:
            for owner, template in pod_specs(target):
                for container in template["spec"]["containers"]:
                    with self.subTest(f"{target} {owner}"):
                        name, _, tag = container["image"].rpartition(":")
                        self.assertTrue(name and tag, container["image"])
                        self.assertNotEqual(tag, "latest")

    def test_the_grace_period_covers_the_pre_stop_sleep_and_the_graceful_shutdown(self):
        for target in TARGETS:
            spec = one(target, "Deployment", "web")["spec"]["template"]["spec"]
            (container,) = spec["containers"]
            pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
            margin = spec["terminationGracePeriodSeconds"] - pre_stop - graceful_shutdown_seconds()
            with self.subTest(target):
                self.assertGreater(pre_stop, 0)
                self.assertGreaterEqual(margin, 3)

    def test_rolling_updates_never_take_a_ready_pod_away_first(self):
        for target in TARGETS:
            strategy = one(target, "Deployment", "web")["spec"]["strategy"]
            self.assertEqual(strategy["type"], "RollingUpdate")
            self.assertEqual(strategy["rollingUpdate"]["maxUnavailable"], 0)

    def test_pods_spread_across_nodes(self):
        spec = one("overlays/prod", "Deployment", "web")["spec"]["template"]["spec"]
        (spread,) = spec["topologySpreadConstraints"]
        self.assertEqual(spread["topologyKey"], "kubernetes.io/hostname")

    def test_production_runs_at_least_two_replicas(self):
        hpa = one("overlays/prod", "HorizontalPodAutoscaler", "web")
        self.assertGreaterEqual(hpa["spec"]["minReplicas"], 2)
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu")

    def test_the_autoscaler_alone_owns_the_replica_count(self):
        for target in TARGETS:
            with self.subTest(target):
                hpa = one(target, "HorizontalPodAutoscaler", "web")
                self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], "web")
                self.assertNotIn("replicas", one(target, "Deployment", "web")["spec"])

    def test_the_pod_every_app_workload_shares_is_written_once(self):
        files = ("deployment.yaml", "worker-deployment.yaml", "migrate-job.yaml")
        for name in (*files, "maintain-cronjob.yaml"):
            text = (K8S_DIR / "base" / name).read_text()
            for shared in ("securityContext", "resources", "envFrom", "emptyDir"):
                with self.subTest(f"{name}: {shared}"):
                    self.assertNotIn(shared, text, "components/app-pod holds it")
        for target in TARGETS:
            web = pod_spec(target, "Deployment/web")
            (web_container,) = web["containers"]
            for owner in sorted(labelled_app_workloads(target) - {"Deployment/web"}):
                spec = pod_spec(target, owner)
                (container,) = spec["containers"]
                for key in ("securityContext", "volumes", "serviceAccountName"):
                    with self.subTest(f"{target} {owner}: {key}"):
                        self.assertEqual(spec[key], web[key])
                for key in ("image", "securityContext", "resources", "envFrom", "volumeMounts"):
                    with self.subTest(f"{target} {owner}: container {key}"):
                        self.assertEqual(container[key], web_container[key])

    def test_the_cronjobs_take_the_same_shared_pod_as_the_deployments_and_jobs(self):
        kustomization = yaml.safe_load((APP_POD / "kustomization.yaml").read_text())
        patches = {
            patch["target"]["kind"]: yaml.safe_load((APP_POD / patch["path"]).read_text())
            for patch in kustomization["patches"]
        }
        self.assertEqual(set(patches), {"Deployment|Job", "CronJob"})
        self.assertEqual(
            patches["CronJob"]["spec"]["jobTemplate"]["spec"]["template"],
            patches["Deployment|Job"]["spec"]["template"],
        )
        for patch in kustomization["patches"]:
            with self.subTest(patch["path"]):
                self.assertEqual(patch["target"]["labelSelector"], "app.kubernetes.io/image=app")

    def test_every_workload_of_the_apps_image_is_labelled_for_the_shared_pod(self):
        image = yaml.safe_load((K8S_DIR / "base" / "kustomization.yaml").read_text())["images"]
        (app_image,) = [entry["newName"] for entry in image if entry["name"] == "djangoship"]
        for target in TARGETS:
            running = {
                owner
                for owner, template in pod_specs(target)
                if any(
                    c.get("image", "").startswith(app_image + ":")
                    for c in template["spec"]["containers"]
                )
            }
            with self.subTest(target):
                self.assertEqual(running, labelled_app_workloads(target))
                self.assertLessEqual(set(APP_WORKLOADS), running)

    def test_the_commands_the_app_pods_run_are_the_apps(self):
        commands = app_commands()
        for owner in APP_WORKLOADS:
            container = app_container("overlays/prod", owner)
            run = container.get("command", [])
            probes = [
                container[probe]["exec"]["command"]
                for probe in ("startupProbe", "livenessProbe", "readinessProbe")
                if "exec" in container.get(probe, {})
            ]
            with self.subTest(owner):
                self.assertNotIn("workingDir", container, "the image's WORKDIR, /srv/app")
                if run:
                    self.assertEqual(run[:2], ["python", "manage.py"])
                    self.assertIn(run[2], commands)
                for probe in probes:
                    self.assertEqual(probe[:2], ["python", "-m"])
                    module = REPO_DIR / "app" / Path(*probe[2].split("."))
                    self.assertTrue(module.with_suffix(".py").is_file(), probe)

    def test_overlays_patch_by_name_in_files_not_by_list_position(self):
        for path in sorted(K8S_DIR.glob("**/kustomization.yaml")):
            patches = yaml.safe_load(path.read_text()).get("patches", [])
            for patch in patches:
                with self.subTest(f"{path.relative_to(K8S_DIR)}: {patch}"):
                    self.assertNotRegex(patch.get("patch", ""), r"path: \S*/\d+(/|$)")
                    if "overlays" in path.parts:
                        self.assertIn("path", patch, "an overlay's patch is a file named for it")

    def test_the_migrate_job_runs_the_locked_migration_with_the_web_image(self):
        for target in OVERLAYS:
            job = one(target, "Job", "migrate")
            (container,) = job["spec"]["template"]["spec"]["containers"]
            with self.subTest(target):
                self.assertEqual(container["command"][-2:], ["migrate_with_lock", "--noinput"])
                self.assertEqual(container["image"], web_container(target)["image"])
                self.assertEqual(container["envFrom"], web_container(target)["envFrom"])

    def test_dev_backs_up_its_postgres_every_night_and_prod_leaves_it_to_the_provider(self):
        cronjob = one("overlays/dev", "CronJob", "postgres-backup")["spec"]
        self.assertEqual(cronjob["concurrencyPolicy"], "Forbid")
        self.assertEqual(cronjob["schedule"].split()[2:], ["*", "*", "*"])
        self.assertEqual(find("overlays/prod", "CronJob", "postgres-backup"), [])
        components = {
            template["metadata"]["labels"]["app.kubernetes.io/component"]
            for _, template in pod_specs("overlays/prod")
        }
        self.assertNotIn("backup", components)

    def test_the_backup_dumps_the_dev_database_with_its_own_image_onto_its_own_claim(self):
        postgres = one("overlays/dev", "StatefulSet", "postgres")["spec"]["template"]["spec"]
        (server,) = postgres["containers"]
        server_env = {e["name"]: e.get("value") for e in server["env"]}
        pod = one("overlays/dev", "CronJob", "postgres-backup")["spec"]["jobTemplate"]["spec"]
        pod = pod["template"]["spec"]
        (backup,) = pod["containers"]
        env = {e["name"]: e.get("value", e.get("valueFrom")) for e in backup["env"]}
        self.assertEqual(backup["image"], server["image"])
        self.assertEqual(backup["command"] + backup["args"], ["sh", "/scripts/backup.sh", "once"])
        self.assertEqual(
            env["PGHOST"], one("overlays/dev", "Service", "postgres")["metadata"]["name"]
        )
        self.assertEqual(env["PGUSER"], server_env["POSTGRES_USER"])
        self.assertEqual(env["PGDATABASE"], server_env["POSTGRES_DB"])
        (secret,) = [source["secretRef"]["name"] for source in server["envFrom"]]
        self.assertEqual(
            env["PGPASSWORD"], {"secretKeyRef": {"name": secret, "key": "POSTGRES_PASSWORD"}}
        )
        self.assertGreaterEqual(int(env["BACKUP_KEEP"]), 1)
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in backup["volumeMounts"]}
        claim = volumes[mounts[env["BACKUP_DIR"]]]["persistentVolumeClaim"]["claimName"]
        self.assertTrue(find("overlays/dev", "PersistentVolumeClaim", claim), claim)
        script = volumes[mounts["/scripts"]]["configMap"]["name"]
        (config_map,) = [
            c for c in find("overlays/dev", "ConfigMap") if c["metadata"]["name"] == script
        ]
        self.assertEqual(config_map["data"]["backup.sh"], BACKUP_SCRIPT.read_text())

    def test_every_cronjob_runs_one_at_a_time_within_bounds(self):
        for target in TARGETS:
            for cronjob in find(target, "CronJob"):
                spec = cronjob["spec"]
                job = spec["jobTemplate"]["spec"]
                with self.subTest(f"{target} {cronjob['metadata']['name']}"):
                    self.assertEqual(spec["concurrencyPolicy"], "Forbid")
                    self.assertEqual(spec["timeZone"], "Etc/UTC")
                    self.assertGreater(spec["startingDeadlineSeconds"], 0)
                    self.assertIn(spec["successfulJobsHistoryLimit"], range(1, 11))
                    self.assertIn(spec["failedJobsHistoryLimit"], range(1, 11))
                    self.assertIn(job["backoffLimit"], range(1, 6))
                    self.assertGreater(job["activeDeadlineSeconds"], 0)
                    self.assertEqual(job["template"]["spec"]["restartPolicy"], "Never")

    def test_maintenance_runs_every_hour_and_each_run_ends_within_it(self):
        for target in TARGETS:
            spec = one(target, "CronJob", "maintain")["spec"]
            minute, *every = spec["schedule"].split()
            with self.subTest(target):
                self.assertIn(int(minute), range(60))
                self.assertEqual(every, ["*", "*", "*", "*"])
                self.assertLess(spec["startingDeadlineSeconds"], 3600)
                self.assertLess(spec["jobTemplate"]["spec"]["activeDeadlineSeconds"], 3600)

    def test_maintenance_runs_manage_py_maintain_with_the_web_image_and_configuration(self):
        for target in TARGETS:
            container = app_container(target, "CronJob/maintain")
            with self.subTest(target):
                self.assertEqual(container["command"], ["python", "manage.py", "maintain"])
                self.assertEqual(container["image"], web_container(target)["image"])
                self.assertEqual(container["envFrom"], web_container(target)["envFrom"])

    def test_dev_brings_its_own_postgres_and_prod_does_not(self):
        postgres = one("overlays/dev", "StatefulSet", "postgres")
        (container,) = postgres["spec"]["template"]["spec"]["containers"]
        self.assertRegex(container["image"], r"^postgres:17(\D|$)")
        self.assertEqual(postgres["spec"]["volumeClaimTemplates"][0]["metadata"]["name"], "data")
        self.assertEqual(find("overlays/prod", "StatefulSet"), [])


class WorkerTests(SimpleTestCase):
    def test_the_worker_runs_manage_py_worker_with_the_web_image_and_configuration(self):
        for target in TARGETS:
            container = app_container(target, "Deployment/worker")
            with self.subTest(target):
                self.assertEqual(container["command"], ["python", "manage.py", "worker"])
                self.assertNotIn("args", container)
                self.assertEqual(container["image"], web_container(target)["image"])
                self.assertEqual(container["envFrom"], web_container(target)["envFrom"])

    def test_the_worker_listens_only_for_its_metrics_and_no_service_sends_it_traffic(self):
        for target in TARGETS:
            labels = pod_labels(target, "Deployment/worker")
            with self.subTest(target):
                self.assertEqual(
                    app_container(target, "Deployment/worker")["ports"],
                    [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
                )
                for service in find(target, "Service"):
                    self.assertFalse(selects({"matchLabels": service["spec"]["selector"]}, labels))

    def test_the_worker_probes_ask_its_heartbeat_and_give_it_time_to_boot(self):
        container = app_container("overlays/prod", "Deployment/worker")
        startup, liveness, readiness = (
            container[probe] for probe in ("startupProbe", "livenessProbe", "readinessProbe")
        )
        for probe in (startup, liveness, readiness):
            with self.subTest(probe=probe):
                self.assertEqual(probe["exec"]["command"], WORKER_PROBE)
                self.assertGreaterEqual(probe["timeoutSeconds"], 2)
        # It boots in about 20 s: twice that before the kubelet gives up.
        self.assertGreaterEqual(startup["periodSeconds"] * startup["failureThreshold"], 40)
        # Unready at once when the heartbeat is stale; restarted only when it stays so.
        self.assertEqual(readiness["failureThreshold"], 1)
        self.assertGreater(
            liveness["periodSeconds"] * liveness["failureThreshold"],
            readiness["periodSeconds"] * readiness["failureThreshold"],
        )

    def test_the_heartbeat_file_is_on_the_pods_writable_tmp(self):
        for target in TARGETS:
            spec = pod_spec(target, "Deployment/worker")
            (container,) = spec["containers"]
            path = pod_settings(target, "Deployment/worker")["WORKER_HEARTBEAT_FILE"]
            empty_dirs = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
            writable = {
                m["mountPath"]
                for m in container["volumeMounts"]
                if m["name"] in empty_dirs and not m.get("readOnly")
            }
            with self.subTest(target):
                self.assertTrue(path, "WORKER_HEARTBEAT_FILE is empty: the probe would fail")
                self.assertIn(str(Path(path).parent), writable)

    def test_the_grace_period_covers_the_worker_shutdown_timeout(self):
        for target in TARGETS:
            spec = pod_spec(target, "Deployment/worker")
            timeout = pod_settings(target, "Deployment/worker")["WORKER_SHUTDOWN_TIMEOUT"]
            with self.subTest(target):
                self.assertGreaterEqual(spec["terminationGracePeriodSeconds"] - timeout, 5)
                # No traffic to drain: SIGTERM goes to the worker at once.
                self.assertNotIn("lifecycle", spec["containers"][0])

    def test_the_connection_pool_has_room_for_the_worker_threads(self):
        for target in TARGETS:
            read = pod_settings(target, "Deployment/worker")
            pool = read["DATABASES"]["default"]["OPTIONS"]["pool"]
            with self.subTest(target):
                self.assertGreaterEqual(pool["max_size"], read["WORKER_CONCURRENCY"] + 2)

    def test_the_worker_rolls_a_new_pod_in_before_an_old_one_stops(self):
        for target in TARGETS:
            strategy = one(target, "Deployment", "worker")["spec"]["strategy"]
            with self.subTest(target):
                self.assertEqual(strategy["type"], "RollingUpdate")
                self.assertEqual(strategy["rollingUpdate"]["maxUnavailable"], 0)
                self.assertGreaterEqual(strategy["rollingUpdate"]["maxSurge"], 1)

    def test_one_worker_in_base_and_dev_two_across_nodes_in_production(self):
        replicas = {t: one(t, "Deployment", "worker")["spec"]["replicas"] for t in TARGETS}
        self.assertEqual(replicas, {"base": 1, "overlays/dev": 1, "overlays/prod": 2})
        (spread,) = pod_spec("overlays/prod", "Deployment/worker")["topologySpreadConstraints"]
        self.assertEqual(spread["topologyKey"], "kubernetes.io/hostname")
        labels = pod_labels("overlays/prod", "Deployment/worker")
        self.assertTrue(selects(spread["labelSelector"], labels))
        self.assertFalse(
            selects(spread["labelSelector"], pod_labels("overlays/prod", "Deployment/web"))
        )

    def test_a_drain_takes_one_worker_at_a_time(self):
        for target in TARGETS:
            pdb = one(target, "PodDisruptionBudget", "worker")["spec"]
            labels = pod_labels(target, "Deployment/worker")
            with self.subTest(target):
                self.assertEqual(pdb["maxUnavailable"], 1)
                self.assertTrue(selects(pdb["selector"], labels))
                self.assertFalse(selects(pdb["selector"], pod_labels(target, "Deployment/web")))


class WiringTests(SimpleTestCase):
    def web_labels(self, target):
        return one(target, "Deployment", "web")["spec"]["template"]["metadata"]["labels"]

    def assertSelects(self, selector, labels):
        self.assertTrue(selector)
        self.assertLessEqual(selector.items(), labels.items(), f"{selector} vs {labels}")

    def test_selectors_match_the_worker_pods(self):
        for target in TARGETS:
            labels = pod_labels(target, "Deployment/worker")
            with self.subTest(target):
                deployment = one(target, "Deployment", "worker")
                self.assertSelects(deployment["spec"]["selector"]["matchLabels"], labels)
                for kind in ("PodDisruptionBudget", "NetworkPolicy"):
                    obj = one(target, kind, "worker")["spec"]
                    selector = obj.get("selector", obj.get("podSelector"))
                    self.assertSelects(selector["matchLabels"], labels)
                    web = pod_labels(target, "Deployment/web")
                    self.assertFalse(selects(selector, web))

    def test_selectors_match_the_web_pods(self):
        for target in TARGETS:
            labels = self.web_labels(target)
            with self.subTest(target):
                deployment = one(target, "Deployment", "web")
                self.assertSelects(deployment["spec"]["selector"]["matchLabels"], labels)
                self.assertSelects(one(target, "Service", "web")["spec"]["selector"], labels)
                pdb = one(target, "PodDisruptionBudget", "web")
                self.assertSelects(pdb["spec"]["selector"]["matchLabels"], labels)
                policy = one(target, "NetworkPolicy", "web")
                self.assertSelects(policy["spec"]["podSelector"]["matchLabels"], labels)
                hpa = one(target, "HorizontalPodAutoscaler", "web")
                self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], "web")

    def test_the_service_port_reaches_the_container_port(self):
        for target in TARGETS:
            (port,) = one(target, "Service", "web")["spec"]["ports"]
            (container_port,) = [p for p in web_container(target)["ports"] if p["name"] == "http"]
            with self.subTest(target):
                self.assertEqual(port["targetPort"], container_port["name"])
                self.assertEqual(container_port["containerPort"], 8000)
                (rule,) = routes(target)["https"]["spec"]["rules"]
                self.assertEqual(rule["backendRefs"], [{"name": "web", "port": port["port"]}])
                self.assertEqual(rule["matches"], [{"path": {"type": "PathPrefix", "value": "/"}}])

    def test_both_routes_attach_to_one_gateway_on_its_http_and_https_listeners(self):
        for target in TARGETS:
            by_listener = routes(target)
            parents = [route["spec"]["parentRefs"][0] for route in by_listener.values()]
            values = gateway_values(target)
            with self.subTest(target):
                self.assertEqual(set(by_listener), {"http", "https"})
                self.assertEqual(
                    {(p["name"], p["namespace"]) for p in parents},
                    {(values["name"], values["namespace"])},
                )
                self.assertEqual(hostname(target), values["hostname"])

    def test_plain_http_is_redirected_permanently_to_https_and_served_nowhere(self):
        for target in TARGETS:
            (rule,) = routes(target)["http"]["spec"]["rules"]
            with self.subTest(target):
                self.assertNotIn("backendRefs", rule)
                self.assertEqual(
                    rule["filters"],
                    [
                        {
                            "type": "RequestRedirect",
                            "requestRedirect": {"scheme": "https", "statusCode": 301},
                        }
                    ],
                )

    def test_the_gateway_waits_longer_than_the_app_for_a_slow_client(self):
        app_limit = settings.REQUEST_HEADER_TIMEOUT + settings.REQUEST_BODY_TIMEOUT
        for target in TARGETS:
            (rule,) = routes(target)["https"]["spec"]["rules"]
            timeouts = {name: seconds(value) for name, value in rule["timeouts"].items()}
            with self.subTest(target):
                self.assertGreater(timeouts["request"], app_limit)
                self.assertLessEqual(timeouts["backendRequest"], timeouts["request"])

    def test_each_overlay_has_a_hostname_of_its_own_on_both_routes(self):
        hosts = {target: hostname(target) for target in OVERLAYS}
        for target in OVERLAYS:
            for route in routes(target).values():
                self.assertEqual(route["spec"]["hostnames"], [hosts[target]])
        self.assertEqual(len(set(hosts.values())), 2)

    def test_the_allowed_host_and_the_trusted_origin_are_the_routes_hostname(self):
        for target in TARGETS:
            (config,) = [
                c
                for c in find(target, "ConfigMap")
                if c["metadata"]["name"].startswith("web-config")
            ]
            with self.subTest(target):
                self.assertIn(hostname(target), config["data"]["ALLOWED_HOSTS"].split(","))
                origins = config["data"]["CSRF_TRUSTED_ORIGINS"].split(",")
                self.assertIn(f"https://{hostname(target)}", origins)

    def test_web_is_reached_only_from_the_gateways_namespace(self):
        for target in TARGETS:
            policy = one(target, "NetworkPolicy", "web")["spec"]
            (rule,) = policy["ingress"]
            (source,) = rule["from"]
            namespace = gateway_values(target)["namespace"]
            with self.subTest(target):
                self.assertEqual(gateway(target)[1], namespace)
                self.assertEqual(
                    source,
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": namespace}
                        }
                    },
                )
                self.assertEqual(rule["ports"], [{"port": 8000, "protocol": "TCP"}])

    def test_the_ingress_component_replaces_the_routes_with_an_ingress_for_the_same_host(self):
        for target in OVERLAYS:
            rendered = objects(target, INGRESS_COMPONENT)
            (ingress,) = [obj for obj in rendered if obj["kind"] == "Ingress"]
            (rule,) = ingress["spec"]["rules"]
            (tls,) = ingress["spec"]["tls"]
            (path,) = rule["http"]["paths"]
            (policy,) = [
                obj
                for obj in rendered
                if obj["kind"] == "NetworkPolicy" and obj["metadata"]["name"] == "web"
            ]
            with self.subTest(target):
                self.assertEqual([obj for obj in rendered if manifests.is_gateway_api(obj)], [])
                self.assertEqual(ingress["metadata"]["namespace"], "djangoship")
                self.assertEqual(rule["host"], hostname(target))
                self.assertEqual(tls["hosts"], [hostname(target)])
                self.assertEqual(
                    path["backend"], {"service": {"name": "web", "port": {"name": "http"}}}
                )
                self.assertEqual(policy["spec"], one(target, "NetworkPolicy", "web")["spec"])

    def test_each_workload_reaches_only_what_it_needs(self):
        postgres, mail, sentry = (5432, "TCP"), (smtp_port(), "TCP"), (443, "TCP")
        expected = {
            ("overlays/prod", "Deployment/web"): DNS | {postgres, mail, sentry},
            ("overlays/prod", "Deployment/worker"): DNS | {postgres, mail, sentry},
            ("overlays/prod", "Job/migrate"): DNS | {postgres},
            ("overlays/prod", "CronJob/maintain"): DNS | {postgres},
            ("overlays/dev", "Deployment/web"): DNS | {postgres, mail, sentry},
            ("overlays/dev", "Deployment/worker"): DNS | {postgres, mail, sentry},
            ("overlays/dev", "Job/migrate"): DNS | {postgres},
            ("overlays/dev", "CronJob/maintain"): DNS | {postgres},
            ("overlays/dev", "CronJob/postgres-backup"): DNS | {postgres},
        }
        for (target, owner), ports in expected.items():
            with self.subTest(f"{target} {owner}"):
                self.assertEqual(allowed_egress(target, pod_labels(target, owner)), ports)

    def test_dns_is_reached_only_in_kube_system(self):
        for target in OVERLAYS:
            for policy in find(target, "NetworkPolicy"):
                for rule in policy["spec"].get("egress", []):
                    if {(p["port"], p["protocol"]) for p in rule["ports"]} & DNS:
                        with self.subTest(f"{target} {policy['metadata']['name']}"):
                            self.assertEqual(
                                rule["to"],
                                [
                                    {
                                        "namespaceSelector": {
                                            "matchLabels": {
                                                "kubernetes.io/metadata.name": "kube-system"
                                            }
                                        }
                                    }
                                ],
                            )

    def test_the_worker_and_the_jobs_admit_no_ingress_but_the_scrape(self):
        for target in OVERLAYS:
            scrape = one(target, "NetworkPolicy", "metrics-scrape")["spec"]
            for owner, _ in pod_specs(target):
                if owner in {"Deployment/web", "StatefulSet/postgres"}:
                    continue  # the Gateway's pods reach web; the app's pods reach postgres
                policies = policies_selecting(target, pod_labels(target, owner))
                admitted = [p["ingress"] for p in policies if "ingress" in p]
                with self.subTest(f"{target} {owner}"):
                    self.assertTrue(any("Ingress" in p["policyTypes"] for p in policies))
                    expected = [scrape["ingress"]] if owner == "Deployment/worker" else []
                    self.assertEqual(admitted, expected)

    def test_the_metrics_port_is_reached_from_the_monitoring_namespace_only(self):
        for target in TARGETS:
            (rule,) = one(target, "NetworkPolicy", "metrics-scrape")["spec"]["ingress"]
            with self.subTest(target):
                self.assertEqual(
                    rule["from"],
                    [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                            }
                        }
                    ],
                )
                self.assertEqual(rule["ports"], [{"port": METRICS_PORT, "protocol": "TCP"}])
                scrape = one(target, "NetworkPolicy", "metrics-scrape")["spec"]
                for owner in ("Deployment/web", "Deployment/worker"):
                    self.assertTrue(selects(scrape["podSelector"], pod_labels(target, owner)))

    def test_web_and_worker_pods_announce_their_metrics_port_to_the_scraper(self):
        for target in TARGETS:
            for name in ("web", "worker"):
                template = one(target, "Deployment", name)["spec"]["template"]
                (container,) = template["spec"]["containers"]
                ports = {p["name"]: p["containerPort"] for p in container["ports"]}
                with self.subTest(f"{target} {name}"):
                    self.assertEqual(ports["metrics"], METRICS_PORT)
                    self.assertEqual(
                        template["metadata"]["annotations"],
                        {
                            "prometheus.io/scrape": "true",
                            "prometheus.io/port": str(METRICS_PORT),
                            "prometheus.io/path": "/metrics",
                        },
                    )
                    service_ports = [
                        p["targetPort"] for p in one(target, "Service", "web")["spec"]["ports"]
                    ]
                    self.assertNotIn("metrics", service_ports)

    def test_the_worker_has_policies_of_its_own(self):
        for target in TARGETS:
            labels = pod_labels(target, "Deployment/worker")
            policy = one(target, "NetworkPolicy", "worker")["spec"]
            with self.subTest(target):
                self.assertTrue(selects(policy["podSelector"], labels))
                self.assertEqual(set(policy["policyTypes"]), {"Ingress", "Egress"})
                self.assertNotIn("ingress", policy)

    def test_mail_goes_out_on_the_port_of_the_smtp_relay_in_email_url(self):
        policy = one("overlays/prod", "NetworkPolicy", "mail-and-error-reports")["spec"]
        (rule,) = policy["egress"]
        self.assertIn({"port": smtp_port(), "protocol": "TCP"}, rule["ports"])
        self.assertEqual(policy["policyTypes"], ["Egress"])
        senders = {
            owner
            for owner, template in pod_specs("overlays/prod")
            if selects(policy["podSelector"], template["metadata"]["labels"])
        }
        self.assertEqual(senders, {"Deployment/web", "Deployment/worker"})

    def test_mail_and_error_reports_are_opened_in_one_policy(self):
        mail, sentry = (smtp_port(), "TCP"), (443, "TCP")
        for target in TARGETS:
            opening = {
                policy["metadata"]["name"]
                for policy in find(target, "NetworkPolicy")
                for rule in policy["spec"].get("egress", [])
                if {(p["port"], p["protocol"]) for p in rule["ports"]} & {mail, sentry}
            }
            with self.subTest(target):
                self.assertEqual(opening, {"mail-and-error-reports"})

    def test_the_backups_reach_postgresql_and_postgresql_admits_them(self):
        labels = pod_labels("overlays/dev", "CronJob/postgres-backup")
        policy = one("overlays/dev", "NetworkPolicy", "postgres-backup")["spec"]
        (to_postgres,) = [rule for rule in policy["egress"] if rule["ports"][0]["port"] == 5432]
        (destination,) = to_postgres["to"]
        postgres_labels = pod_labels("overlays/dev", "StatefulSet/postgres")
        self.assertLessEqual(
            destination["podSelector"]["matchLabels"].items(), postgres_labels.items()
        )
        admitted = one("overlays/dev", "NetworkPolicy", "postgres")["spec"]["ingress"]
        (source,) = admitted[0]["from"]
        (expression,) = source["podSelector"]["matchExpressions"]
        self.assertIn(labels[expression["key"]], expression["values"])

    def test_the_dev_postgres_admits_exactly_the_pods_that_may_reach_it(self):
        target = "overlays/dev"
        (rule,) = one(target, "NetworkPolicy", "postgres")["spec"]["ingress"]
        admitted, reaching = set(), set()
        for owner, template in pod_specs(target):
            labels = template["metadata"]["labels"]
            if any(selects(source["podSelector"], labels) for source in rule["from"]):
                admitted.add(owner)
            if (5432, "TCP") in allowed_egress(target, labels):
                reaching.add(owner)
        self.assertEqual(admitted, reaching)
        self.assertLessEqual({*APP_WORKLOADS, "CronJob/postgres-backup"}, reaching)

    def test_a_default_deny_policy_covers_the_namespace(self):
        policy = one("overlays/prod", "NetworkPolicy", "default-deny")["spec"]
        self.assertEqual(policy["podSelector"], {})
        self.assertEqual(set(policy["policyTypes"]), {"Ingress", "Egress"})

    def test_secrets_come_from_env_files_that_git_ignores_with_examples_beside_them(self):
        for overlay in OVERLAYS:
            kustomization = (REPO_DIR / "k8s" / overlay / "kustomization.yaml").read_text()
            for env_file in re.findall(r"- (\w+\.env)$", kustomization, re.MULTILINE):
                if env_file == "config.env":
                    continue
                with self.subTest(f"{overlay}/{env_file}"):
                    self.assertTrue((REPO_DIR / "k8s" / overlay / f"{env_file}.example").is_file())
                    ignored = subprocess.run(
                        ["git", "check-ignore", "-q", f"k8s/{overlay}/{env_file}"],
                        cwd=REPO_DIR,
                        check=False,
                    )
                    self.assertEqual(ignored.returncode, 0, f"git would commit {env_file}")


class BackupScriptTests(SimpleTestCase):
    """backup.sh, run as the CronJob runs it (sh, the PG* variables), with
    stand-ins for pg_dump and pg_restore that note how they were called."""

    OLD_DUMPS = ("20240101T033000Z.dump", "20240102T033000Z.dump", "20240103T033000Z.dump")

    def setUp(self):
        workdir = tempfile.TemporaryDirectory()
        self.addCleanup(workdir.cleanup)
        self.dir = Path(workdir.name) / "backups"
        self.dir.mkdir()
        for name in self.OLD_DUMPS:
            (self.dir / name).write_text("old dump")
        self.calls = Path(workdir.name) / "calls"
        bin_dir = Path(workdir.name) / "bin"
        bin_dir.mkdir()
        for tool, body in {
            "pg_dump": 'for a; do case "$a" in --file=*) echo dump > "${a#--file=}";; esac; done',
            "pg_restore": "",
        }.items():
            stand_in = bin_dir / tool
            stand_in.write_text(f'#!/bin/sh\necho {tool} "$@" >> "{self.calls}"\n{body}\n')
            stand_in.chmod(0o755)
        self.env = {
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "BACKUP_DIR": str(self.dir),
            "BACKUP_KEEP": "2",
            "PGDATABASE": "app",
        }

    def run_script(self, *args, **env):
        result = subprocess.run(
            ["sh", str(BACKUP_SCRIPT), *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        return result.returncode, lines, result.stderr

    def dumps(self):
        return sorted(path.name for path in self.dir.iterdir())

    def called(self):
        return self.calls.read_text().splitlines() if self.calls.exists() else []

    def test_a_backup_is_a_custom_format_dump_and_only_the_newest_are_kept(self):
        returncode, (line,), _ = self.run_script("once")
        self.assertEqual(returncode, 0)
        (call,) = self.called()
        self.assertIn("--format=custom", call.split())
        new = line["file"]
        self.assertRegex(new, r"^\d{8}T\d{6}Z\.dump$")
        self.assertGreater(new, self.OLD_DUMPS[-1])
        self.assertEqual(self.dumps(), [self.OLD_DUMPS[-1], new])
        self.assertEqual(
            {key: line[key] for key in ("level", "logger", "message", "removed", "kept")},
            {
                "level": "INFO",
                "logger": "backup",
                "message": "backup taken",
                "removed": 2,
                "kept": 2,
            },
        )

    def test_a_failed_dump_leaves_nothing_behind_and_fails_the_job(self):
        (Path(self.env["PATH"].split(":")[0]) / "pg_dump").write_text("#!/bin/sh\nexit 1\n")
        returncode, (line,), _ = self.run_script("once")
        self.assertEqual(returncode, 1)
        self.assertEqual((line["level"], line["message"]), ("ERROR", "pg_dump failed"))
        self.assertEqual(self.dumps(), list(self.OLD_DUMPS))

    def test_restore_latest_replaces_the_database_with_the_newest_dump_in_one_transaction(self):
        returncode, (line,), _ = self.run_script("restore", "latest")
        self.assertEqual(returncode, 0)
        (call,) = self.called()
        arguments = call.split()
        self.assertEqual(arguments[0], "pg_restore")
        self.assertLessEqual(
            {"--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--dbname=app"},
            set(arguments),
        )
        self.assertEqual(arguments[-1], str(self.dir / self.OLD_DUMPS[-1]))
        self.assertEqual((line["message"], line["file"]), ("backup restored", self.OLD_DUMPS[-1]))

    def test_restore_takes_only_the_name_of_a_dump(self):
        for name in (self.OLD_DUMPS[0], "../backups/" + self.OLD_DUMPS[0], "missing.dump", ""):
            returncode, lines, _ = self.run_script("restore", name)
            with self.subTest(name):
                if name == self.OLD_DUMPS[0]:
                    self.assertEqual(returncode, 0)
                else:
                    self.assertEqual(returncode, 1)
                    self.assertEqual(lines[-1]["level"], "ERROR")
        self.assertEqual(len(self.called()), 1)

    def test_keep_must_be_a_positive_whole_number(self):
        for keep in ("0", "-1", "seven", ""):
            returncode, (line,), _ = self.run_script("once", BACKUP_KEEP=keep)
            with self.subTest(keep):
                self.assertEqual(returncode, 1)
                self.assertEqual(line["level"], "ERROR")
        self.assertEqual(self.called(), [])

    def test_the_documented_restore_command_runs_the_cronjobs_pod_with_restore_latest(self):
        readme = (REPO_DIR / "docs" / "kubernetes.md").read_text()
        (command,) = re.findall(
            r"^kubectl create job .*--from=cronjob/postgres-backup.*$", readme, re.M
        )
        (patch,) = re.findall(r"-p '([^']+)'", command)
        job_template = one("overlays/dev", "CronJob", "postgres-backup")["spec"]["jobTemplate"]
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "restore"},
            **job_template,
        }
        result = subprocess.run(
            ["kubectl", "patch", "--local", "-f", "-", "--type=json", "-p", patch, "-o", "json"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        (container,) = json.loads(result.stdout)["spec"]["template"]["spec"]["containers"]
        self.assertEqual(
            container["command"] + container["args"],
            ["sh", "/scripts/backup.sh", "restore", "latest"],
        )
