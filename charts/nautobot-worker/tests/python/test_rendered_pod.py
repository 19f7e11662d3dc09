"""The rendered worker pod, exercised for real: its probe commands, its trust-bundle init script, and its
environment loaded into nautobot_config.py (secrets and fieldRefs filled in as the kubelet would)."""

import shutil
import ssl
import subprocess

import pytest
import yaml

from conftest import CHART, CONFIG
from test_docs_drift import BASE, HELM
from test_redis_integration import TlsRedis

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def render_deployment(*args):
    completed = subprocess.run(
        [str(HELM), "template", "w", str(CHART), *BASE, "--namespace", "nautobot", *args,
         "--show-only", "templates/deployment.yaml"],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return [d for d in yaml.safe_load_all(completed.stdout) if d][0]["spec"]["template"]["spec"]


def kubelet_env(pod, secrets, cluster_data, pod_tmp, pod_name="w-default-abc12"):
    """The environment the kubelet would give the container (secretKeyRef/fieldRef/envFrom resolved).

    The pod's /tmp emptyDir (and the mounts under it) become folders under pod_tmp, and values pointing into /tmp
    are rewritten to match: the test never writes to the machine's /tmp, where a real worker may run.
    """
    container = pod["containers"][0]
    empty_dirs = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    nested = [
        m["mountPath"]
        for m in container["volumeMounts"]
        if m["mountPath"].startswith("/tmp/") and m["name"] in empty_dirs
    ]
    for path in ["/tmp", *nested]:
        (pod_tmp / path[len("/tmp"):].lstrip("/")).mkdir(parents=True, exist_ok=True)

    def in_pod_tmp(value):
        # Files directly in /tmp, or under a mount nested in it (not, say, a test PKI that lives in /tmp/pytest-*).
        return value.rsplit("/", 1)[0] == "/tmp" or any(value == p or value.startswith(p + "/") for p in nested)

    env = {}
    for ref in container.get("envFrom", []):
        if "configMapRef" in ref and ref["configMapRef"]["name"] == "cluster-data":
            env.update(cluster_data)
    for item in container["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "secretKeyRef" in item["valueFrom"]:
            ref = item["valueFrom"]["secretKeyRef"]
            env[item["name"]] = secrets[(ref["name"], ref["key"])]
        elif "fieldRef" in item["valueFrom"]:
            path = item["valueFrom"]["fieldRef"]["fieldPath"]
            env[item["name"]] = {"metadata.name": pod_name, "metadata.namespace": "nautobot"}[path]
    return {k: (str(pod_tmp) + v[len("/tmp"):] if in_pod_tmp(v) else v) for k, v in env.items()}


SECRETS = {
    ("nautobot-db", "password"): "db-test-password",
    ("nautobot-redis", "password"): "redis-test-password",
    ("nautobot-django", "NAUTOBOT_SECRET_KEY"): "test-only-not-a-secret-" + "y" * 40,
}
CLUSTER_DATA = {"UNDERSTACK_SITE": "site-a", "UNDERSTACK_PARTITION": "part-a"}


@pytest.mark.parametrize(
    ("age", "alive"), [(None, False), ("-5 seconds", True), ("-2 minutes", False)]
)
def test_should_pass_liveness_only_when_the_heartbeat_is_fresh(tmp_path, age, alive):
    container = render_deployment()["containers"][0]
    heartbeat = tmp_path / "heartbeat"
    command = [part.replace("/tmp/nautobot_celery_worker_heartbeat", str(heartbeat))
               for part in container["livenessProbe"]["exec"]["command"]]
    if age is not None:
        heartbeat.touch()
        subprocess.run(["touch", "-d", age, str(heartbeat)], check=True)
    assert (subprocess.run(command, check=False).returncode == 0) is alive


def test_should_pass_readiness_only_when_the_ready_file_exists(tmp_path):
    container = render_deployment()["containers"][0]
    ready = tmp_path / "ready"
    command = [part.replace("/tmp/nautobot_celery_worker_ready", str(ready))
               for part in container["readinessProbe"]["exec"]["command"]]
    assert subprocess.run(command, check=False).returncode != 0
    ready.touch()
    assert subprocess.run(command, check=False).returncode == 0


def test_should_trust_public_and_private_cas_when_the_init_container_built_the_bundle(tmp_path, pki):
    if not shutil.os.path.exists(SYSTEM_BUNDLE):
        pytest.fail(f"{SYSTEM_BUNDLE} is missing: install ca-certificates")
    init = render_deployment()["initContainers"][0]
    env = {e["name"]: e["value"] for e in init["env"]}
    env.update({"MTLS_CA": str(pki.ca), "BUNDLE_DIR": str(tmp_path)})
    subprocess.run(init["command"], env={"PATH": "/usr/bin:/bin", **env}, check=True)
    context = ssl.create_default_context(cafile=str(tmp_path / "ca-bundle.crt"))
    subjects = [dict(x[0] for x in ca["subject"]).get("commonName") for ca in context.get_ca_certs()]
    assert "understack-mtls-ca" in subjects
    assert len(subjects) > 50, "the public CAs of the system bundle are missing"


def test_should_configure_verified_db_and_redis_tls_when_loading_the_rendered_env(load, pki, tmp_path):
    pod = render_deployment("--set", f"mtls.mountPath={pki.dir}")
    env = kubelet_env(pod, SECRETS, CLUSTER_DATA, tmp_path / "pod-tmp")
    env.pop("NAUTOBOT_CONFIG")  # the probe loads the chart's file directly
    result = load(env)
    assert "error" not in result, result.get("traceback")
    settings = result["settings"]
    assert settings["db_options"] == {
        "sslmode": "verify-ca",
        "sslnegotiation": "direct",
        "sslcert": str(pki.dir / "tls.crt"),
        "sslkey": str(pki.dir / "tls.key"),
        "sslrootcert": str(pki.dir / "ca.crt"),
    }
    assert settings["broker_url"] == "rediss://:redis-test-password@redis.example.net:6379/0"
    assert settings["broker_use_ssl"]["ssl_cert_reqs"] == int(ssl.CERT_REQUIRED)
    assert settings["understack_site"] == "site-a"


def test_should_reach_redis_with_the_rendered_env_when_redis_requires_client_certs(load, pki, tmp_path):
    server = TlsRedis(pki, tmp_path)
    try:
        pod = render_deployment(
            "--set", f"mtls.mountPath={pki.dir}",
            "--set", "nautobot.redis.host=localhost",
            "--set", f"nautobot.redis.port={server.port}",
        )
        env = kubelet_env(pod, SECRETS, CLUSTER_DATA, tmp_path / "pod-tmp")
        env.pop("NAUTOBOT_CONFIG")
        result = load(env, check="broker")
        assert "error" not in result, result.get("traceback")
        assert result["check"]["body"] == {"hello": "site"}
    finally:
        server.stop()


def test_should_verify_redis_server_when_mtls_is_disabled_but_redis_ssl_stays_true(load, pki, tmp_path):
    # The chart path to kombu's downgrade: mtls.enabled=false keeps nautobot.redis.ssl=true, so the pod gets
    # NAUTOBOT_REDIS_SSL=True and none of the NAUTOBOT_REDIS_SSL_* variables. The rendered env must still refuse a
    # Redis whose certificate nothing trusts (kombu alone would connect with CERT_NONE).
    server = TlsRedis(pki, tmp_path, auth_clients=False)
    try:
        pod = render_deployment(
            "--set", "mtls.enabled=false",
            "--set", "nautobot.redis.host=localhost",
            "--set", f"nautobot.redis.port={server.port}",
        )
        env = kubelet_env(pod, SECRETS, CLUSTER_DATA, tmp_path / "pod-tmp")
        env.pop("NAUTOBOT_CONFIG")
        assert env["NAUTOBOT_REDIS_SSL"] == "True"
        assert not [name for name in env if name.startswith("NAUTOBOT_REDIS_SSL_")]
        env["NAUTOBOT_MTLS_DIR"] = str(tmp_path / "not-mounted")  # nothing at /etc/nautobot/mtls either
        result = load(env, check="broker")
        assert result.get("error"), f"the rendered worker connected to an untrusted Redis: {result}"
        assert "CERTIFICATE_VERIFY_FAILED" in result["traceback"]
        settings = load(env)["settings"]
        assert settings["broker_use_ssl"] == {"ssl_cert_reqs": int(ssl.CERT_REQUIRED)}
    finally:
        server.stop()
