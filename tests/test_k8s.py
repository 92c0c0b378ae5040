"""The Kubernetes manifests, rendered and checked offline: strict schema
validation (Kubernetes' own kinds and the Gateway API's), the policies we
promise, checkov, and the backup script."""

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
from health import paths as health
from server import run as server
from tests import manifests
from tests.manifests import K8S_DIR, KUBERNETES_VERSION, TARGETS, find, objects, one, pod_specs
from tests.support import REPO_DIR

pytestmark = pytest.mark.k8s

BIN = Path(sys.executable).parent
OVERLAYS = ("overlays/dev", "overlays/prod")
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")
INGRESS_COMPONENT = ("components/ingress",)
BACKUP_SCRIPT = REPO_DIR / "k8s" / "overlays" / "dev" / "backup.sh"
DNS = {(53, "UDP"), (53, "TCP")}


def web_container(target):
    deployment = one(target, "Deployment", "web")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


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


def allowed_egress(target, labels):
    """{(port, protocol)} that the NetworkPolicies let pods with these labels
    reach (policies whose podSelector selects them, all their egress rules)."""
    ports = set()
    for policy in find(target, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"]
        assert set(selector) <= {"matchLabels"}, selector
        if selector.get("matchLabels", {}).items() <= labels.items():
            for rule in policy["spec"].get("egress", []):
                ports |= {(p["port"], p["protocol"]) for p in rule["ports"]}
    return ports


def pod_labels(target, owner):
    (template,) = [t for o, t in pod_specs(target) if o == owner]
    return template["metadata"]["labels"]


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
                    {"Namespace", "Deployment", "Service", "HTTPRoute", "Job", "NetworkPolicy"},
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

    def test_web_and_migrate_run_as_10001_with_an_empty_dir_for_tmp(self):
        for target in OVERLAYS:
            specs = dict(pod_specs(target))
            for owner in ("Deployment/web", "Job/migrate"):
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
        hpa = one("overlays/prod", "HorizontalPodAutoscaler", "web")
        self.assertGreaterEqual(hpa["spec"]["minReplicas"], 2)
        self.assertEqual(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu")

    def test_the_autoscaler_alone_owns_the_replica_count(self):
        for target in TARGETS:
            with self.subTest(target):
                hpa = one(target, "HorizontalPodAutoscaler", "web")
                self.assertEqual(hpa["spec"]["scaleTargetRef"]["name"], "web")
                self.assertNotIn("replicas", one(target, "Deployment", "web")["spec"])

    def test_the_pod_the_web_and_migrate_share_is_written_once(self):
        for name in ("deployment.yaml", "migrate-job.yaml"):
            text = (K8S_DIR / "base" / name).read_text()
            for shared in ("securityContext", "resources", "envFrom", "emptyDir"):
                with self.subTest(f"{name}: {shared}"):
                    self.assertNotIn(shared, text, "components/app-pod holds it")
        web = one("base", "Deployment", "web")["spec"]["template"]["spec"]
        job = one("base", "Job", "migrate")["spec"]["template"]["spec"]
        for key in ("securityContext", "volumes", "serviceAccountName"):
            with self.subTest(key):
                self.assertEqual(web[key], job[key])
        (web_container,) = web["containers"]
        (job_container,) = job["containers"]
        for key in ("image", "securityContext", "resources", "envFrom", "volumeMounts"):
            with self.subTest(key):
                self.assertEqual(web_container[key], job_container[key])

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
        self.assertEqual(find("overlays/prod", "CronJob"), [])

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
            ("overlays/prod", "Job/migrate"): DNS | {postgres},
            ("overlays/dev", "Deployment/web"): DNS | {postgres, mail, sentry},
            ("overlays/dev", "Job/migrate"): DNS | {postgres},
            ("overlays/dev", "CronJob/postgres-backup"): DNS | {postgres},
        }
        for (target, owner), ports in expected.items():
            with self.subTest(f"{target} {owner}"):
                self.assertEqual(allowed_egress(target, pod_labels(target, owner)), ports)

    def test_mail_goes_out_on_the_port_of_the_smtp_relay_in_email_url(self):
        policy = one("overlays/prod", "NetworkPolicy", "web-mail-and-error-reports")["spec"]
        (rule,) = policy["egress"]
        self.assertIn({"port": smtp_port(), "protocol": "TCP"}, rule["ports"])
        self.assertEqual(policy["policyTypes"], ["Egress"])

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
