"""The pod-template checksum annotations really change when what they guard changes (and only then), so pods roll on
a new nautobot_config.py or new job manifests: two real `helm template` renders compared."""

import subprocess

import yaml

from conftest import CHART
from test_docs_drift import BASE, HELM


def annotations(*args):
    completed = subprocess.run(
        [str(HELM), "template", "w", str(CHART), *BASE, *args, "--show-only", "templates/deployment.yaml"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    doc = [d for d in yaml.safe_load_all(completed.stdout) if d][0]
    return doc["spec"]["template"]["metadata"]["annotations"]


def test_should_keep_the_config_checksum_when_nothing_changes():
    assert annotations()["checksum/nautobot-config"] == annotations()["checksum/nautobot-config"]


def test_should_change_the_config_checksum_when_the_config_content_changes():
    default = annotations()["checksum/nautobot-config"]
    custom = annotations("--set", "nautobot.config=from nautobot_config import *  # site A")
    other = annotations("--set", "nautobot.config=from nautobot_config import *  # site B")
    assert len({default, custom["checksum/nautobot-config"], other["checksum/nautobot-config"]}) == 3


def test_should_change_the_config_checksum_when_the_existing_configmap_name_changes():
    first = annotations("--set", "nautobot.configCM=nautobot-config-v1")["checksum/nautobot-config"]
    second = annotations("--set", "nautobot.configCM=nautobot-config-v2")["checksum/nautobot-config"]
    assert first != second


def test_should_change_the_job_queue_checksum_when_a_job_manifest_changes():
    base = ["--set", "workers.alpha.type=kubernetes"]
    assert "checksum/job-queues" not in annotations()
    first = annotations(*base)["checksum/job-queues"]
    second = annotations(*base, "--set", "kubernetesJobs.backoffLimit=2")["checksum/job-queues"]
    assert first != second
    assert annotations(*base)["checksum/job-queues"] == first
