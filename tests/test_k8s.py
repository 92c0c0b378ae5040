"""The Kubernetes manifests, rendered and checked offline: strict schema
validation, the policies we promise, and checkov."""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.test import SimpleTestCase

from ops import health, server
from tests import manifests
from tests.manifests import KUBERNETES_VERSION, TARGETS, find, objects, one, pod_specs
from tests.support import REPO_DIR

BIN = Path(sys.executable).parent
OVERLAYS = ("overlays/dev", "overlays/prod")
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")


def web_container(target):
    deployment = one(target, "Deployment", "web")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def graceful_shutdown_seconds():
    return server.GRACEFUL_SHUTDOWN_SECONDS


class RenderingTests(SimpleTestCase):
    def test_base_and_both_overlays_render(self):
        for target in TARGETS:
            with self.subTest(target):
                kinds = {obj["kind"] for obj in objects(target)}
                self.assertLessEqual(
                    {"Namespace", "Deployment", "Service", "Ingress", "Job", "NetworkPolicy"},
                    kinds,
                )

    def test_every_object_validates_strictly_against_the_kubernetes_schemas(self):
        with tempfile.TemporaryDirectory() as workdir:
            for target in TARGETS:
                path = Path(workdir) / (target.replace("/", "-") + ".yaml")
                path.write_text(manifests.rendered_yaml(target))
                result = subprocess.run(
                    [
                        str(BIN / "kubernetes-validate"),
                        "--strict",
                        "--quiet",
                        "-k",
                        KUBERNETES_VERSION,
                        str(path),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                with self.subTest(target):
                    self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

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

    def test_web_and_migrate_run_as_10001_with_an_empty_dir_for_tmp(self):
        for target in OVERLAYS:
            for owner, template in pod_specs(target):
                if owner == "StatefulSet/postgres":
                    continue
                spec = template["spec"]
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
            deployment = one(target, "Deployment", "web")
            self.assertEqual(deployment["spec"]["template"]["spec"]["serviceAccountName"], "web")


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
        self.assertGreaterEqual(one("overlays/prod", "Deployment", "web")["spec"]["replicas"], 2)
        hpa = one("overlays/prod", "HorizontalPodAutoscaler", "web")
        self.assertGreaterEqual(hpa["spec"]["minReplicas"], 2)
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu")

    def test_the_migrate_job_runs_the_locked_migration_with_the_web_image(self):
        for target in OVERLAYS:
            job = one(target, "Job", "migrate")
            (container,) = job["spec"]["template"]["spec"]["containers"]
            with self.subTest(target):
                self.assertEqual(container["command"][-2:], ["migrate_with_lock", "--noinput"])
                self.assertEqual(container["image"], web_container(target)["image"])
                self.assertEqual(container["envFrom"], web_container(target)["envFrom"])

    def test_dev_brings_its_own_postgres_and_prod_does_not(self):
        postgres = one("overlays/dev", "StatefulSet", "postgres")
        (container,) = postgres["spec"]["template"]["spec"]["containers"]
        self.assertRegex(container["image"], r"^postgres:17(\D|$)")
        self.assertEqual(postgres["spec"]["volumeClaimTemplates"][0]["metadata"]["name"], "data")
        self.assertEqual(find("overlays/prod", "StatefulSet"), [])


class WiringTests(SimpleTestCase):
    def web_labels(self, target):
        return one(target, "Deployment", "web")["spec"]["template"]["metadata"]["labels"]

    def assertSelects(self, selector, labels):
        self.assertTrue(selector)
        self.assertLessEqual(selector.items(), labels.items(), f"{selector} vs {labels}")

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
            (container_port,) = web_container(target)["ports"]
            with self.subTest(target):
                self.assertEqual(port["targetPort"], container_port["name"])
                self.assertEqual(container_port["containerPort"], 8000)
                (rule,) = one(target, "Ingress", "web")["spec"]["rules"]
                backend = rule["http"]["paths"][0]["backend"]["service"]
                self.assertEqual(backend, {"name": "web", "port": {"name": port["name"]}})

    def test_ingress_has_tls_and_a_host_per_overlay(self):
        hosts = {}
        for target in OVERLAYS:
            ingress = one(target, "Ingress", "web")
            (rule,) = ingress["spec"]["rules"]
            (tls,) = ingress["spec"]["tls"]
            self.assertEqual(tls["hosts"], [rule["host"]])
            hosts[target] = rule["host"]
        self.assertEqual(len(set(hosts.values())), 2)

    def test_the_allowed_host_is_the_ingress_host(self):
        for target in OVERLAYS:
            (rule,) = one(target, "Ingress", "web")["spec"]["rules"]
            (config,) = [
                c
                for c in find(target, "ConfigMap")
                if c["metadata"]["name"].startswith("web-config")
            ]
            with self.subTest(target):
                self.assertIn(rule["host"], config["data"]["ALLOWED_HOSTS"].split(","))

    def test_web_is_reached_only_from_the_ingress_controller(self):
        policy = one("overlays/prod", "NetworkPolicy", "web")["spec"]
        (rule,) = policy["ingress"]
        (source,) = rule["from"]
        self.assertEqual(
            source,
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}
                }
            },
        )
        self.assertEqual(rule["ports"], [{"port": 8000, "protocol": "TCP"}])

    def test_web_reaches_only_dns_and_postgresql(self):
        for name in ("web", "migrate"):
            policy = one("overlays/prod", "NetworkPolicy", name)["spec"]
            ports = {(p["port"], p["protocol"]) for rule in policy["egress"] for p in rule["ports"]}
            with self.subTest(name):
                self.assertEqual(ports, {(53, "UDP"), (53, "TCP"), (5432, "TCP")})

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
