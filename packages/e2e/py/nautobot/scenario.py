"""Global-side Nautobot actions of the e2e scenario (run with the global pods' environment).

Usage: python scenario.py prepare <queue>          -> creates the user, the JobQueue, registers/enables the job
       python scenario.py enqueue <queue> <n> <tag> [sleep_ms]  -> enqueues n jobs on the queue, prints their ids
       python scenario.py status <id>...           -> prints status, worker and result of each JobResult
       python scenario.py runs                     -> prints every recorded execution
       python scenario.py check                    -> connects to the database, the cache and the broker once
       python scenario.py latency <q1,q2> <n>      -> task round trips (enqueue -> SUCCESS) per queue, alternating
       python scenario.py settings <queue>         -> the Celery settings that decide redelivery, and the queue's Redis keys
Prints one JSON object. Never prints secrets.
"""

import json
import sys

import nautobot

RUNS_TABLE = "understack_e2e_runs"
JOB_CLASS = "understack_e2e.SiteProbe"


def prepare(queue):
    from django.contrib.auth import get_user_model  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from nautobot.core.celery import import_jobs  # noqa: PLC0415
    from nautobot.extras.jobs import get_job  # noqa: PLC0415
    from nautobot.extras.models import Job, JobQueue  # noqa: PLC0415
    from nautobot.extras.utils import refresh_job_model_from_job_class  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(
            f"create table if not exists {RUNS_TABLE} (id serial primary key, job_result_id uuid not null, "
            "token text, hostname text, site text, pid int, at timestamptz default now())"
        )
    get_user_model().objects.get_or_create(username="e2e", defaults={"is_superuser": True, "is_staff": True})
    job_queue, _ = JobQueue.objects.get_or_create(name=queue, defaults={"queue_type": "celery"})
    import_jobs()
    job_class = get_job(JOB_CLASS)
    if job_class is None:
        raise SystemExit(f"job {JOB_CLASS} not found: is NAUTOBOT_JOBS_ROOT set to py/nautobot/jobs?")
    job_model, _ = refresh_job_model_from_job_class(Job, job_class, JobQueue)
    job_model.enabled = True
    job_model.save()
    job_model.job_queues.add(job_queue)
    return {"job": str(job_model.pk), "queue": queue, "queues": [q.name for q in job_model.job_queues.all()]}


def enqueue(queue, n, tag, sleep_ms=0):
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from nautobot.extras.models import Job, JobQueue, JobResult  # noqa: PLC0415

    job_model = Job.objects.get(module_name="understack_e2e", job_class_name="SiteProbe")
    job_queue = JobQueue.objects.get(name=queue)
    user = get_user_model().objects.get(username="e2e")
    ids = []
    for i in range(int(n)):
        result = JobResult.enqueue_job(
            job_model, user, job_queue=job_queue, token=f"{tag}-{i}", sleep_ms=int(sleep_ms)
        )
        ids.append(str(result.pk))
    return {"ids": ids}


def latency(queues, n):
    """Enqueues n jobs per queue, alternating, one at a time; returns each round trip (enqueue -> SUCCESS) in ms."""
    import time  # noqa: PLC0415

    from django.contrib.auth import get_user_model  # noqa: PLC0415

    from nautobot.extras.models import Job, JobQueue, JobResult  # noqa: PLC0415

    job_model = Job.objects.get(module_name="understack_e2e", job_class_name="SiteProbe")
    user = get_user_model().objects.get(username="e2e")
    names = queues.split(",")
    out = {q: [] for q in names}
    for i in range(int(n)):
        for q in names:
            job_queue = JobQueue.objects.get(name=q)
            start = time.perf_counter()
            result = JobResult.enqueue_job(job_model, user, job_queue=job_queue, token=f"latency-{q}-{i}")
            while True:
                status = JobResult.objects.filter(pk=result.pk).values_list("status", flat=True).first()
                if status in ("SUCCESS", "FAILURE", "REVOKED"):
                    break
                time.sleep(0.002)
            if status != "SUCCESS":
                raise RuntimeError(f"latency job {result.pk} on {q} ended {status}")
            out[q].append((time.perf_counter() - start) * 1000)
    return {"ms": out}


def status(ids):
    from nautobot.extras.models import JobResult  # noqa: PLC0415

    out = {}
    for r in JobResult.objects.filter(pk__in=ids):
        out[str(r.pk)] = {"status": r.status, "worker": r.worker, "result": r.result, "queue": r.celery_kwargs.get("queue")}
    return out


def runs():
    from django.db import connection  # noqa: PLC0415

    with connection.cursor() as cursor:
        cursor.execute(f"select job_result_id::text, token, hostname, site, pid from {RUNS_TABLE} order by id")
        return {"runs": [dict(zip(("job_result_id", "token", "hostname", "site", "pid"), row)) for row in cursor.fetchall()]}


def settings(queue):
    """The Celery/kombu settings this environment's worker runs with that decide what happens to queued and started
    messages across a broker or database outage, and the Redis keys (one per priority step) holding the queue."""
    from nautobot.core.celery import app  # noqa: PLC0415

    conf = app.conf
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0)
        channel = conn.default_channel
        keys = [channel._q_for_pri(queue, pri) for pri in channel.priority_steps]  # noqa: SLF001
        return {
            "task_acks_late": conf.task_acks_late,
            "task_reject_on_worker_lost": conf.task_reject_on_worker_lost,
            "task_acks_on_failure_or_timeout": conf.task_acks_on_failure_or_timeout,
            "worker_prefetch_multiplier": conf.worker_prefetch_multiplier,
            "broker_transport_options": dict(conf.broker_transport_options or {}),
            # kombu's effective value (its default, 1 h, unless broker_transport_options sets one)
            "visibility_timeout": channel.visibility_timeout,
            "broker_db": int(conn.virtual_host or 0),
            "queue_keys": keys,
        }


def _verify_mode(value):
    """ssl.CERT_* as its name (kombu passes the int)."""
    import ssl  # noqa: PLC0415

    return ssl.VerifyMode(value).name if isinstance(value, int) else str(value)


def check():
    """Connects to the database, the Django cache and the Celery broker, each on its own; reports each outcome."""
    from django.core.cache import cache  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415

    from nautobot.core.celery import app  # noqa: PLC0415

    out, errors = {}, []

    def db():
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("select ssl, client_dn, client_serial::text from pg_stat_ssl where pid = pg_backend_pid()")
            ssl, client_dn, serial = cursor.fetchone()
        return {"ssl": ssl, "client_dn": client_dn, "serial": serial}

    def cache_():
        cache.set("understack-e2e", "ok", 10)
        return {"value": cache.get("understack-e2e")}

    def broker():
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0)
            client = conn.default_channel.client
            pool = client.connection_pool
            return {
                "connection_classes": [c.__name__ for c in pool.connection_class.__mro__],
                "ssl_cert_reqs": _verify_mode(pool.connection_kwargs.get("ssl_cert_reqs")),
                "ping": client.ping(),
            }

    for name, fn in (("db", db), ("cache", cache_), ("broker", broker)):
        try:
            out[name] = fn()
        except Exception as exc:  # each stage's error is part of the result
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    if errors:
        raise RuntimeError(" | ".join(errors))
    return out


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    try:
        nautobot.setup()
        res = {
            "prepare": prepare,
            "enqueue": enqueue,
            "runs": runs,
            "check": check,
            "latency": latency,
            "settings": settings,
        }.get(cmd)
        out = status(args) if cmd == "status" else res(*args)
        json.dump({"ok": True, **out}, sys.stdout, default=str)
    except Exception as exc:  # a negative case's error is its result
        json.dump({"ok": False, "type": type(exc).__name__, "error": str(exc)}, sys.stdout)


if __name__ == "__main__":
    main()
