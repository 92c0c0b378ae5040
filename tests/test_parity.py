"""Places that must agree, from the laptop to the cluster: the Python version,
the PostgreSQL major version, the port, the health path, the variable names."""

import ipaddress
import re

from django.test import SimpleTestCase

from config import settings
from config.env import ConfigError
from config.tests.settings_module import settings_read_from
from health import paths as health
from server import run as server
from tests import dockerfiles, manifests
from tests.support import REPO_DIR

# The port the server listens on in the image: written once, there.
PORT = int(dockerfiles.image_environment()["UVICORN_PORT"])
# Variables of the image that are not the service's settings.
RUNTIME_VARIABLES = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}


def python_version():
    return (REPO_DIR / ".python-version").read_text().strip()


def compose_app_services(name):
    """The services of a compose file that run the app (they have a build)."""
    return {
        service_name: service
        for service_name, service in dockerfiles.compose(name)["services"].items()
        if "build" in service
    }


def postgres_images():
    """Every PostgreSQL image named anywhere, by where it is named."""
    images = {}
    for name in dockerfiles.COMPOSE_FILES:
        for service_name, service in dockerfiles.compose(name)["services"].items():
            if service.get("image", "").startswith("postgres:"):
                images[f"compose.{name}.yaml {service_name}"] = service["image"]
    for owner, template in manifests.pod_specs("overlays/dev"):
        for container in template["spec"]["containers"]:
            if container["image"].startswith("postgres:"):
                images[f"k8s dev {owner}"] = container["image"]
    return images


def k8s_web_container(target="overlays/prod"):
    deployment = manifests.one(target, "Deployment", "web")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def k8s_environment_names(target):
    """The keys of the ConfigMap and Secrets the app's pods read."""
    names = set()
    for kind in ("ConfigMap", "Secret"):
        for obj in manifests.find(target, kind):
            if obj["metadata"]["name"].startswith(("web-config", "web-secrets")):
                names.update(obj.get("data", {}))
    return names


class PythonVersionTests(SimpleTestCase):
    def test_the_image_uses_the_python_of_python_version(self):
        image = dockerfiles.dockerfile_args()["PYTHON_IMAGE"]
        self.assertRegex(image, rf"^python:{re.escape(python_version())}(-|$)")

    def test_every_stage_starts_from_the_python_base_the_uv_binary_or_an_earlier_stage(self):
        stages = []
        for _, instruction, arguments in dockerfiles.dockerfile_instructions():
            if instruction == "FROM":
                base, _, name = arguments.split()
                with self.subTest(name):
                    self.assertIn(base, {"${PYTHON_IMAGE}", "${UV_IMAGE}", *stages})
                stages.append(name)


class PostgresVersionTests(SimpleTestCase):
    def test_one_postgres_image_everywhere(self):
        images = postgres_images()
        self.assertGreaterEqual(len(images), 2)
        self.assertEqual(len(set(images.values())), 1, images)

    def test_postgres_is_named_in_compose_and_kubernetes(self):
        places = " ".join(postgres_images())
        self.assertIn("compose.dev.yaml", places)
        self.assertIn("compose.prod.yaml", places)
        self.assertIn("k8s dev", places)

    def test_the_postgres_major_version_is_17(self):
        for where, image in postgres_images().items():
            with self.subTest(where):
                self.assertRegex(image, r"^postgres:17(\D|$)")


class PortAndHealthPathTests(SimpleTestCase):
    def test_the_image_serves_and_exposes_the_port_it_sets(self):
        listens_on = dockerfiles.image_environment()["UVICORN_HOST"]
        self.assertEqual(listens_on, "0.0.0.0")  # noqa: S104 - every interface of the container
        self.assertEqual(dockerfiles.stage_instructions("base", "EXPOSE"), ["${UVICORN_PORT}"])
        self.assertNotIn("--port", dockerfiles.production_command())

    def test_the_image_has_one_health_check_the_probe_every_stage_inherits(self):
        (check,) = dockerfiles.stage_instructions("base", "HEALTHCHECK")
        self.assertEqual(dockerfiles.exec_form(check), ["python", "-m", "health.probe"])
        for stage in ("deps", "builder", "runtime", "dev"):
            with self.subTest(stage):
                self.assertEqual(dockerfiles.stage_instructions(stage, "HEALTHCHECK"), [])

    def test_the_dev_file_publishes_the_port_on_loopback_only(self):
        (published,) = dockerfiles.compose("dev")["services"]["web"]["ports"]
        self.assertRegex(published, rf"^127\.0\.0\.1:\$\{{WEB_PORT:-{PORT}\}}:{PORT}$")

    def test_the_proxy_forwards_to_the_port(self):
        self.assertIn(f"reverse_proxy web:{PORT}", caddyfile())

    def test_compose_runs_the_images_health_check(self):
        for name in dockerfiles.COMPOSE_FILES:
            with self.subTest(f"compose.{name}.yaml"):
                web = dockerfiles.compose(name)["services"]["web"]
                self.assertNotIn("test", web.get("healthcheck", {}))

    def test_the_dev_server_listens_where_the_image_says(self):
        script = (REPO_DIR / "deploy" / "dev-server.sh").read_text()
        self.assertIn("exec python -m server --reload\n", script)


def caddyfile():
    return (REPO_DIR / "deploy" / "Caddyfile").read_text()


def caddyfile_default(name):
    """The default the Caddyfile gives the environment variable ``name``
    ({$NAME:default}); it must be the same wherever it is written."""
    (default,) = set(re.findall(rf"\{{\${name}:([^}}]*)\}}", caddyfile()))
    return default


class ProxyParityTests(SimpleTestCase):
    """compose.prod.yaml's proxy and the app hold one set of request limits,
    and the app believes forwarded headers from the proxy alone."""

    LIMITS = {
        "REQUEST_MAX_BODY_SIZE": settings.REQUEST_MAX_BODY_SIZE,
        "REQUEST_MAX_HEADER_SIZE": settings.REQUEST_MAX_HEADER_SIZE,
        "REQUEST_HEADER_TIMEOUT": settings.REQUEST_HEADER_TIMEOUT,
        "REQUEST_BODY_TIMEOUT": settings.REQUEST_BODY_TIMEOUT,
    }

    def setUp(self):
        self.services = dockerfiles.compose("prod")["services"]

    def test_the_proxy_and_the_app_read_the_same_limit_variables_with_the_same_defaults(self):
        for name, value in self.LIMITS.items():
            default = int(value) if float(value).is_integer() else value
            with self.subTest(name):
                self.assertEqual(caddyfile_default(name), str(default))
                for service in ("proxy", "web"):
                    value = self.services[service]["environment"][name]
                    self.assertEqual(value, f"${{{name}:-{default}}}")

    def test_only_the_proxy_publishes_a_port(self):
        published = {name for name, service in self.services.items() if "ports" in service}
        self.assertEqual(published, {"proxy"})
        for port in self.services["proxy"]["ports"]:
            with self.subTest(port):
                self.assertTrue(port.startswith("${PROXY_BIND:-127.0.0.1}:"), port)

    def test_the_app_trusts_forwarded_headers_from_the_proxys_address_only(self):
        proxy = self.services["proxy"]["networks"]["edge"]["ipv4_address"]
        (edge,) = dockerfiles.compose("prod")["networks"]["edge"]["ipam"]["config"]
        for service_name, service in compose_app_services("prod").items():
            with self.subTest(service_name):
                self.assertEqual(service["environment"]["FORWARDED_ALLOW_IPS"], proxy)
        address = ipaddress.ip_address(dockerfiles.with_defaults(proxy))
        network = {key: dockerfiles.with_defaults(value) for key, value in edge.items()}
        self.assertIn(address, ipaddress.ip_network(network["subnet"]))
        self.assertNotIn(address, ipaddress.ip_network(network["ip_range"]))
        self.assertNotEqual(address, ipaddress.ip_address(network["gateway"]))

    def test_the_proxys_health_check_asks_the_liveness_path_of_its_own_listener(self):
        url = dockerfiles.healthcheck_url(self.services["proxy"]["healthcheck"]["test"])
        self.assertEqual(url, f"http://127.0.0.1:2020{health.LIVENESS_PATH}")
        self.assertIn(f'respond {health.LIVENESS_PATH} "ok" 200', caddyfile())


class KubernetesParityTests(SimpleTestCase):
    def test_the_container_ports_are_the_images(self):
        ports = {port["name"]: port["containerPort"] for port in k8s_web_container()["ports"]}
        metrics = int(dockerfiles.image_environment()["METRICS_PORT"])
        self.assertEqual(ports, {"http": PORT, "metrics": metrics})

    def test_compose_exposes_the_images_metrics_port(self):
        metrics = dockerfiles.image_environment()["METRICS_PORT"]
        services = dockerfiles.compose("prod")["services"]
        for name in ("web", "worker"):
            with self.subTest(name):
                self.assertEqual(services[name]["expose"], [metrics])

    def test_the_probes_ask_the_health_paths(self):
        container = k8s_web_container()
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], health.LIVENESS_PATH)
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], health.READINESS_PATH)
        self.assertEqual(container["livenessProbe"]["httpGet"]["port"], "http")

    def test_the_image_is_the_one_compose_builds_and_ci_pushes(self):
        name = k8s_web_container()["image"].rpartition(":")[0]
        compose_image = dockerfiles.compose("prod")["x-app"]["image"].partition(":")[0]
        self.assertEqual(name.rpartition("/")[2], compose_image)

    def test_config_and_secrets_hold_only_variables_the_settings_read(self):
        for target in ("overlays/dev", "overlays/prod"):
            with self.subTest(target):
                names = k8s_environment_names(target)
                self.assertLessEqual({"DATABASE_URL", "SECRET_KEY"}, names)
                self.assertLessEqual(names, set(settings.env.names))

    def test_every_web_process_is_the_service_server_with_its_limits(self):
        self.assertEqual(dockerfiles.production_command()[:3], ["python", "-m", "server"])
        # compose.prod.yaml and Kubernetes run the image's CMD as it is.
        self.assertNotIn("command", dockerfiles.compose("prod")["services"]["web"])
        for target in ("overlays/dev", "overlays/prod"):
            with self.subTest(target):
                (container,) = manifests.one(target, "Deployment", "web")["spec"]["template"][
                    "spec"
                ]["containers"]
                self.assertFalse({"command", "args"} & set(container))
        # compose.dev.yaml runs the dev image's server script: the same server, reloading.
        script = (REPO_DIR / "deploy" / "dev-server.sh").read_text()
        self.assertIn("exec python -m server --reload", script)

    def test_both_compose_files_give_the_server_the_open_files_it_needs(self):
        needed = server.files_needed(settings)  # the settings module: the defaults
        for name in dockerfiles.COMPOSE_FILES:
            with self.subTest(f"compose.{name}.yaml"):
                nofile = dockerfiles.compose(name)["services"]["web"]["ulimits"]["nofile"]
                self.assertEqual(nofile["soft"], nofile["hard"])
                self.assertGreaterEqual(int(nofile["soft"]), needed)

    def test_migrations_run_the_same_command_in_compose_and_kubernetes(self):
        job = manifests.one("overlays/prod", "Job", "migrate")
        (container,) = job["spec"]["template"]["spec"]["containers"]
        migrate = dockerfiles.compose("prod")["services"]["migrate"]
        self.assertEqual(container["command"], migrate["command"])


class VariableNameTests(SimpleTestCase):
    """Every variable the image or a compose file sets is one the settings read:
    a misspelt or renamed variable would otherwise be ignored in silence."""

    def test_compose_files_set_only_variables_the_settings_read(self):
        for name in dockerfiles.COMPOSE_FILES:
            for service_name, service in compose_app_services(name).items():
                with self.subTest(f"compose.{name}.yaml {service_name}"):
                    self.assertLessEqual(set(service["environment"]), set(settings.env.names))

    def test_compose_files_set_the_required_variables(self):
        for name in dockerfiles.COMPOSE_FILES:
            for service_name, service in compose_app_services(name).items():
                with self.subTest(f"compose.{name}.yaml {service_name}"):
                    self.assertLessEqual(
                        {"DATABASE_URL", "SECRET_KEY"}, set(service["environment"])
                    )

    def test_the_image_sets_only_variables_the_settings_read(self):
        for stage in ("base", "deps", "runtime", "dev"):
            with self.subTest(stage):
                names = dockerfiles.env_names(stage) - RUNTIME_VARIABLES
                names = {n for n in names if not n.startswith("UV_")}
                self.assertLessEqual(names, set(settings.env.names))

    def test_the_image_passes_its_revision_to_sentry(self):
        self.assertIn(
            "SENTRY_RELEASE=${GIT_REVISION}",
            " ".join(dockerfiles.stage_instructions("runtime", "ENV")),
        )


def settings_with(name, value=None):
    """The settings' values (their upper-case names) with ``name`` set to
    ``value``, or unset."""
    if value is None:
        read = settings_read_from(unset=[name])
    else:
        read = settings_read_from(**{name: value})
    return {key: value for key, value in read.items() if key.isupper()}


class DefaultsWrittenOnceTests(SimpleTestCase):
    """A default lives in the settings; the files that configure an
    environment set only what differs from it."""

    def assertNotTheDefault(self, name, value):
        try:
            default = settings_with(name)
        except ConfigError:
            return  # required: it has no default
        self.assertNotEqual(
            settings_with(name, value), default, f"{name}={value} is the settings' default"
        )

    def test_the_kubernetes_config_sets_no_variable_to_its_default(self):
        for path in sorted((REPO_DIR / "k8s").glob("**/config.env")):
            for line in path.read_text().splitlines():
                if line and not line.startswith("#"):
                    name, value = line.split("=", 1)
                    with self.subTest(f"{path.relative_to(REPO_DIR)}: {name}"):
                        self.assertNotTheDefault(name, value)

    def test_compose_sets_no_variable_to_its_default(self):
        # The request limits are the proxy's too, which has no defaults of its
        # own; the parity tests above hold them to the settings.
        limits = set(dockerfiles.compose("prod")["x-limits"])
        for name in dockerfiles.COMPOSE_FILES:
            for service_name, service in compose_app_services(name).items():
                for variable, value in service["environment"].items():
                    if variable in limits:
                        continue
                    value = dockerfiles.with_defaults(str(value))
                    if not value or "${" in value:
                        continue  # empty: the default; or made of other variables
                    with self.subTest(f"compose.{name}.yaml {service_name}: {variable}"):
                        self.assertNotTheDefault(variable, value)
