"""docs/deployment-spec.md must list exactly the environment variables the chart sets and nautobot_config.py reads,
and every mount path and port the chart renders.

The chart side is the real `helm template` output over scenarios that switch on every branch that adds a variable
(mTLS trust modes, Kubernetes job queues, metrics, a Redis user); the config side is every environment-variable-like
string constant in files/nautobot_config.py (parsed with ast, so comments and messages do not count).
"""

import ast
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CHART, CONFIG

REPO = CHART.parents[1]
DOC = REPO / "docs" / "deployment-spec.md"
HELM = REPO / ".tools" / "bin" / "helm"

BASE = [
    "--set", "understack.site=site-a",
    "--set", "understack.partition=part-a",
    "--set", "nautobot.db.host=db.example.net",
    "--set", "nautobot.redis.host=redis.example.net",
]
# Each scenario adds branches; together they cover every variable a template can set.
SCENARIOS = {
    "defaults": [],
    "kubernetes-jobs": ["--set", "workers.alpha.type=kubernetes", "--set", "nautobot.redis.username=worker"],
    "private-ca": ["--set", "mtls.trustBundle.mode=private-ca"],
    "no-mtls": ["--set", "mtls.enabled=false", "--set", "nautobot.redis.ssl=false", "--set", "metrics.enabled=false"],
}
ENV_NAME = re.compile(r"^(?:NAUTOBOT|UNDERSTACK)_[A-Z0-9_]+$")


def _render(args):
    if not HELM.exists():
        pytest.fail(f"helm is not installed at {HELM}: run `pnpm tools:install` (scripts/setup.sh)")
    completed = subprocess.run(
        [str(HELM), "template", "w", str(CHART), *BASE, *args], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return [d for d in yaml.safe_load_all(completed.stdout) if d]


def _pod_specs(docs):
    for doc in docs:
        if doc["kind"] == "Deployment":
            yield doc["spec"]["template"]["spec"]
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].endswith("-job-queues"):
            for manifest in doc["data"].values():
                yield json.loads(manifest)["spec"]["template"]["spec"]


def chart_surface():
    """(env var names, mount paths, container ports) over all scenarios."""
    env, mounts, ports = set(), set(), set()
    for args in SCENARIOS.values():
        docs = _render(args)
        for doc in docs:
            if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "cluster-data":
                env.update(doc["data"])
        for spec in _pod_specs(docs):
            for container in spec.get("containers", []) + spec.get("initContainers", []):
                env.update(e["name"] for e in container.get("env", []))
                mounts.update(m["mountPath"] for m in container.get("volumeMounts", []))
                ports.update(p["containerPort"] for p in container.get("ports", []))
    return env, mounts, ports


def config_variables(source):
    """Environment variable names nautobot_config.py reads: exact string constants shaped like one."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENV_NAME.match(node.value)
    }


def documented_variables(markdown):
    """First-column names of the table under '## Environment variables'."""
    section = markdown.split("\n## Environment variables", 1)
    if len(section) != 2:
        raise AssertionError("docs/deployment-spec.md has no '## Environment variables' section")
    body = section[1].split("\n## ", 1)[0]
    names = []
    for line in body.splitlines():
        match = re.match(r"^\|\s*`([^`]+)`\s*\|", line)
        if match:
            names.append(match.group(1))
    return names


def drift(markdown, used):
    """(missing from the table, listed but unused, listed twice)."""
    listed = documented_variables(markdown)
    duplicates = sorted({n for n in listed if listed.count(n) > 1})
    return sorted(used - set(listed)), sorted(set(listed) - used), duplicates


@pytest.fixture(scope="module")
def surface():
    return chart_surface()


@pytest.fixture(scope="module")
def used(surface):
    return surface[0] | config_variables(CONFIG.read_text())


def test_should_document_every_env_var_when_the_chart_sets_or_the_config_reads_it(used):
    missing, unused, duplicates = drift(DOC.read_text(), used)
    assert not missing, (
        f"docs/deployment-spec.md: environment variables missing from the table: {', '.join(missing)}. "
        "Add a row (default, required, set by, why) in the same commit."
    )
    assert not unused, (
        f"docs/deployment-spec.md: the table lists variables nothing sets or reads: {', '.join(unused)}. "
        "Remove the rows, or restore the code that uses them."
    )
    assert not duplicates, f"docs/deployment-spec.md: variables listed twice: {', '.join(duplicates)}"


def test_should_document_every_mount_path_and_port_when_the_chart_renders_them(surface):
    _, mounts, ports = surface
    text = DOC.read_text()
    undocumented = sorted(m for m in mounts if f"`{m}`" not in text)
    assert not undocumented, f"docs/deployment-spec.md: mount paths not documented: {', '.join(undocumented)}"
    assert all(f"`{p}`" in text for p in ports), f"docs/deployment-spec.md: ports not documented: {sorted(ports)}"


def test_should_find_config_variables_when_parsing_nautobot_config(used):
    # Guards the parser itself: these are read by nautobot_config.py and must be picked up.
    for name in ("NAUTOBOT_DB_SSLMODE", "NAUTOBOT_EXTRA_PLUGINS_CONFIG", "UNDERSTACK_PARTITION", "NAUTOBOT_REDIS_SCHEME"):
        assert name in used


def test_should_report_a_missing_row_when_one_is_removed(used):
    markdown = DOC.read_text()
    without = "\n".join(line for line in markdown.splitlines() if not line.startswith("| `NAUTOBOT_DB_SSLNEGOTIATION`"))
    missing, unused, _ = drift(without, used)
    assert missing == ["NAUTOBOT_DB_SSLNEGOTIATION"]
    assert unused == []


def test_should_report_an_unused_row_when_one_is_added(used):
    markdown = re.sub(
        r"^(\|\s*`POD_NAME`)", "| `NAUTOBOT_NOT_A_THING` | x | no | chart | nothing |\n\\1", DOC.read_text(), count=1, flags=re.M
    )
    _, unused, _ = drift(markdown, used)
    assert unused == ["NAUTOBOT_NOT_A_THING"]
