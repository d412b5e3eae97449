"""The rendered Kubernetes manifests (deploy/kubernetes/): valid for a pinned Kubernetes, and
consistent where a schema cannot see: kustomize's file lists, selectors and labels, probes on
real routes and the container's port, Secret keys that are settings, PgBouncer's budget.

No cluster or kustomize runs here: each manifest is validated offline with kubernetes-validate's
schemas (strict: unknown fields are errors too).
"""

import ast
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.test_tooling import APP_PORT, _answers, _dockerfile, _settings

KUBERNETES_VERSION = "1.34.0"
DEPLOY = Path("deploy") / "kubernetes"
# The app's containers read settings; PgBouncer's read its image's own variables.
APP_WORKLOADS = {("Deployment", "app"), ("Job", "migrate")}
FROM_THE_SECRET = {"SECRET_KEY", "DATABASE_URL"}


@pytest.fixture
def project(baked: Path) -> Path:
    """Each option set's render (conftest.py's `baked`)."""
    return baked


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), path
    return loaded


def _kustomizations(project: Path) -> list[Path]:
    return sorted((project / DEPLOY).rglob("kustomization.yaml"))


def _resources(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every resource of the base, by (kind, name)."""
    base = project / DEPLOY / "base"
    listed = _load(base / "kustomization.yaml")["resources"]
    found = {}
    for name in listed:
        resource = _load(base / name)
        found[resource["kind"], resource["metadata"]["name"]] = resource
    return found


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = workload["spec"]["template"]["spec"]
    return spec


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    (container,) = _pod_spec(workload)["containers"]
    return dict(container)


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def _routes(project: Path) -> set[str]:
    """The paths the app's routers serve with GET, read from its source."""
    package = project / "src" / _answers(project)["package_name"]
    routes = set()
    for module in package.rglob("*.py"):  # every domain's routers
        text = module.read_text()
        prefix = re.search(r'APIRouter\([^)]*prefix="([^"]*)"', text)
        for path in re.findall(r'@router\.get\("([^"]*)"', text):
            routes.add((prefix.group(1) if prefix else "") + path)
    return routes


def test_every_manifest_is_valid_for_the_pinned_kubernetes(project: Path) -> None:
    manifests = [
        path for path in (project / DEPLOY).rglob("*.yaml") if path.name != "kustomization.yaml"
    ]
    assert len(manifests) >= 8
    for path in manifests:
        try:
            kubernetes_validate.validate(_load(path), KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            raise AssertionError(f"{path.relative_to(project)}: {error.message}") from None


def test_every_file_kustomize_lists_exists_and_every_manifest_is_listed(project: Path) -> None:
    for kustomization in _kustomizations(project):
        folder = kustomization.parent
        listed = _load(kustomization)["resources"]
        for name in listed:
            target = (folder / name).resolve()
            assert target.is_file() or (target / "kustomization.yaml").is_file(), (
                kustomization,
                name,
            )
        manifests = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert manifests <= set(listed), f"{kustomization}: not listed: {manifests - set(listed)}"


def test_the_overlay_names_the_base_image_and_its_own_namespace(project: Path) -> None:
    overlay = project / DEPLOY / "overlays" / "example"
    kustomization = _load(overlay / "kustomization.yaml")
    namespace = _load(overlay / "namespace.yaml")["metadata"]["name"]
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", namespace), namespace
    assert kustomization["namespace"] == namespace
    images = {
        _container(r)["image"] for r in _resources(project).values() if "template" in r["spec"]
    }
    app_images = images - {image for image in images if image.startswith("edoburu/pgbouncer:")}
    assert {image["name"] for image in kustomization["images"]} == app_images == {"app-image"}


def test_the_overlay_points_the_app_at_an_otlp_collector(project: Path) -> None:
    overlay = _load(project / DEPLOY / "overlays" / "example" / "kustomization.yaml")
    (patch,) = overlay["patches"]
    assert patch["target"] == {"kind": "Deployment", "name": "app"}
    (operation,) = yaml.safe_load(patch["patch"])
    app = _resources(project)["Deployment", "app"]
    (container,) = _pod_spec(app)["containers"]
    assert operation["op"] == "add"
    assert operation["path"] == "/spec/template/spec/containers/0/env/-"
    assert container["name"] == "app"
    assert "env" in container
    assert operation["value"]["name"] == "OTEL_EXPORTER_OTLP_ENDPOINT"
    assert urlsplit(operation["value"]["value"]).port == 4318, "OTLP over HTTP"


def test_selectors_match_the_labels_of_the_pods_they_mean(project: Path) -> None:
    resources = _resources(project)
    pods = {
        name: _load_labels(resource)
        for (kind, name), resource in resources.items()
        if kind == "Deployment"
    }
    for (kind, name), resource in resources.items():
        if kind == "Deployment":
            assert resource["spec"]["selector"]["matchLabels"].items() <= pods[name].items()
        if kind == "Service":
            selector = resource["spec"]["selector"].items()
            assert [pod for pod, labels in pods.items() if selector <= labels.items()] == [name]
        if kind == "PodDisruptionBudget":
            assert resource["spec"]["selector"]["matchLabels"].items() <= pods["app"].items()
        if kind == "HorizontalPodAutoscaler":
            target = resource["spec"]["scaleTargetRef"]
            assert (target["kind"], target["name"]) in resources
    # Each Service's target port is a port its pods name.
    for (kind, name), resource in resources.items():
        if kind == "Service":
            (port,) = resource["spec"]["ports"]
            names = {p["name"] for p in _container(resources["Deployment", name])["ports"]}
            assert port["targetPort"] in names


def _load_labels(workload: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def test_probes_ask_real_routes_on_the_container_port(project: Path) -> None:
    app = _container(_resources(project)["Deployment", "app"])
    ports = {port["name"]: port["containerPort"] for port in app["ports"]}
    assert list(ports.values()) == [int(APP_PORT)]
    assert ("EXPOSE", APP_PORT) in _dockerfile(project)
    probes = {name: app[name]["httpGet"] for name in ("livenessProbe", "readinessProbe")}
    assert probes["livenessProbe"]["path"] == "/health/live", "no database call: no restarts"
    assert probes["readinessProbe"]["path"] == "/health/ready"
    for probe in probes.values():
        assert probe["path"] in _routes(project)
        assert ports.get(probe["port"], probe["port"]) == int(APP_PORT)


def test_the_app_reads_only_settings_and_its_secrets_from_the_secret(project: Path) -> None:
    settings = _settings(project)
    for key in APP_WORKLOADS:
        container = _container(_resources(project)[key])
        env = _env(container)
        assert set(env) <= set(settings), f"{key}: variables the app does not read"
        assert {name for name, required in settings.items() if required} <= set(env)
        for name in FROM_THE_SECRET:
            assert env[name]["secretKeyRef"] == {"name": "app-secrets", "key": name}
        literal = {name for name, value in env.items() if isinstance(value, str)}
        assert not literal & FROM_THE_SECRET
        assert env["DATABASE_POOLER"] == "pgbouncer"


def test_pods_run_unprivileged_on_a_read_only_root_with_resources(project: Path) -> None:
    for (kind, name), resource in _resources(project).items():
        if kind not in {"Deployment", "Job"}:
            continue
        pod = _pod_spec(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        container = _container(resource)
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
        assert {"requests", "limits"} <= set(container["resources"]), name


def test_the_migration_job_runs_the_locked_upgrade_of_the_app_image(project: Path) -> None:
    resources = _resources(project)
    job = _container(resources["Job", "migrate"])
    assert job["command"] == ["alembic", "upgrade", "head"]
    assert job["image"] == _container(resources["Deployment", "app"])["image"]
    env_py = (project / "migrations" / "env.py").read_text()
    assert "take_migration_lock(connection)" in env_py


def _default(project: Path, setting: str) -> int:
    """A setting's default, read from core/settings.py's `Field(default=...)`."""
    package = _answers(project)["package_name"]
    tree = ast.parse((project / "src" / package / "core" / "settings.py").read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == setting
            and isinstance(node.value, ast.Call)
        ):
            (default,) = [k.value for k in node.value.keywords if k.arg == "default"]
            value = ast.literal_eval(default)
            assert isinstance(value, int)
            return value
    raise AssertionError(f"no setting {setting}")


def test_pgbouncer_pools_in_transaction_mode_within_the_budget(project: Path) -> None:
    resources = _resources(project)
    pgbouncer = resources["Deployment", "pgbouncer"]
    env = _env(_container(pgbouncer))
    assert env["POOL_MODE"] == "transaction"
    service_port = resources["Service", "pgbouncer"]["spec"]["ports"][0]["port"]
    assert int(env["LISTEN_PORT"]) == service_port
    server_connections = pgbouncer["spec"]["replicas"] * int(env["MAX_DB_CONNECTIONS"])
    assert server_connections <= _default(project, "database_connection_budget")
    # The replicas, by contrast, keep no pool of their own behind it.
    assert resources["Deployment", "app"]["spec"]["replicas"] == 3
    app_env = _env(_container(resources["Deployment", "app"]))
    assert app_env["DATABASE_POOLER"] == "pgbouncer"
