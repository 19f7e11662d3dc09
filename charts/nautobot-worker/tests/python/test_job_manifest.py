"""A Kubernetes job pod must run the same Nautobot as the celery worker: same image, environment, envFrom, volumes
and mounts (the site guide's Step 5 values, with celery.extra*, plus a kubernetes worker), rendered with real helm."""

import json
import subprocess

import yaml

from conftest import CHART
from test_docs_drift import HELM

STEP5 = CHART / "tests" / "values" / "seed-step5.yaml"
# Only a celery worker serves Prometheus metrics and consumes a queue (acks, prefetch); the rest must be identical.
CELERY_ONLY_ENV = {
    "NAUTOBOT_CELERY_WORKER_PROMETHEUS_PORTS",
    "NAUTOBOT_CELERY_TASK_ACKS_LATE",
    "NAUTOBOT_CELERY_WORKER_PREFETCH_MULTIPLIER",
}


def render(*args):
    completed = subprocess.run(
        [str(HELM), "template", "w", str(CHART), "--namespace", "nautobot", "-f", str(STEP5),
         "--set", "workers.alpha.type=kubernetes",
         "--set", "celery.extraEnvVarsCM[0]=site-settings",
         "--set", "celery.extraEnvVarsSecret[0]=site-tokens", *args],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    docs = [d for d in yaml.safe_load_all(completed.stdout) if d]
    worker = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    queues = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-job-queues"))
    job = json.loads(queues["data"]["alpha.json"])["spec"]["template"]["spec"]
    return worker, job


def test_should_give_the_job_pod_the_workers_env_envfrom_volumes_and_mounts_when_celery_extras_are_set():
    worker, job = render()
    celery, container = worker["containers"][0], job["containers"][0]
    assert container["image"] == celery["image"]
    worker_env = [e for e in celery["env"] if e["name"] not in CELERY_ONLY_ENV]
    assert container["env"] == worker_env
    assert {"name": "NAUTOBOT_EXTRA_PLUGINS", "value": "understack_plugin_a,understack_plugin_b"} in container["env"]
    assert container["envFrom"] == celery["envFrom"]
    assert {"configMapRef": {"name": "site-settings"}} in container["envFrom"]
    assert {"secretRef": {"name": "site-tokens"}} in container["envFrom"]
    assert container["volumeMounts"] == celery["volumeMounts"]
    assert job["volumes"] == worker["volumes"]
    assert job.get("initContainers") == worker.get("initContainers")


def test_should_keep_the_job_pod_off_the_manifests_when_it_has_a_dedicated_service_account():
    worker, job = render("--set", "kubernetesJobs.serviceAccount.create=true")
    assert [m for m in job["containers"][0]["volumeMounts"] if m["name"] == "job-queues"] == []
    assert [v for v in job["volumes"] if v["name"] == "job-queues"] == []
    assert [m["name"] for m in worker["containers"][0]["volumeMounts"] if m["name"] == "job-queues"] == ["job-queues"]
