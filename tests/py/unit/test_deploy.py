"""deploy/k8s: every manifest validates against the Kubernetes 1.37 schemas offline
(kubernetes-validate --strict, which bundles them), and the numbers that must agree do: the
shutdown budget, workers per requested CPU, probe paths, the scrape port, the Redis URL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from django_bolt._server.supervisor import STOP_MARGIN
from django_bolt.conf import BoltSettings

K8S = Path(__file__).resolve().parents[3] / "deploy" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def _docs() -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for path in MANIFESTS:
        for doc in yaml.safe_load_all(path.read_text()):
            out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def test_manifests_validate_strictly_offline() -> None:
    assert len(MANIFESTS) >= 6
    cli = Path(sys.executable).with_name("kubernetes-validate")
    done = subprocess.run(
        [str(cli), "--strict", "--kubernetes-version", "1.37.0", *map(str, MANIFESTS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "did not validate" not in done.stdout


def test_web_deployment_agrees_with_the_server() -> None:
    docs = _docs()
    pod = docs[("Deployment", "django-bolt")]["spec"]["template"]
    spec = pod["spec"]
    web = spec["containers"][0]
    env = {e["name"]: e.get("value") for e in web["env"]}
    # Workers: one per requested CPU.
    assert int(env["DJANGO_BOLT_WORKERS"]) == int(web["resources"]["requests"]["cpu"])
    # Shutdown: preStop sleep + drain + the supervisor's margin fit before SIGKILL.
    budget = web["lifecycle"]["preStop"]["sleep"]["seconds"] + float(env["DJANGO_BOLT_GRACEFUL_TIMEOUT"]) + STOP_MARGIN
    assert budget < spec["terminationGracePeriodSeconds"]
    # Probes on the paths the server answers by default.
    assert web["readinessProbe"]["httpGet"]["path"] == BoltSettings.READY_PATH
    assert web["livenessProbe"]["httpGet"]["path"] == BoltSettings.HEALTH_PATH
    assert pod["metadata"]["annotations"]["prometheus.io/path"] == BoltSettings.METRICS_PATH
    assert int(pod["metadata"]["annotations"]["prometheus.io/port"]) == web["ports"][0]["containerPort"]
    assert web["command"][-1] == str(web["ports"][0]["containerPort"])
    # Shared state in the Redis of redis.yaml.
    redis = docs[("Service", "django-bolt-redis")]["spec"]["ports"][0]["port"]
    assert env["DJANGO_BOLT_STATE"] == f"redis://django-bolt-redis:{redis}/0"


def test_selectors_match() -> None:
    docs = _docs()
    web_labels = docs[("Deployment", "django-bolt")]["spec"]["template"]["metadata"]["labels"]
    for kind in ("Service", "PodDisruptionBudget"):
        sel = docs[(kind, "django-bolt")]["spec"]["selector"]
        sel = sel.get("matchLabels", sel)
        assert sel.items() <= web_labels.items(), kind
    assert docs[("HorizontalPodAutoscaler", "django-bolt")]["spec"]["scaleTargetRef"]["name"] == "django-bolt"
