"""The Nautobot Job the e2e scenario runs on the site worker (loaded from NAUTOBOT_JOBS_ROOT).

It reports where it ran (host, site, process) and how its own database session looks to the server (pg_stat_ssl:
TLS, client certificate DN and serial), and records each execution in a table keyed by its JobResult, so the suite
can prove that every enqueued job ran exactly once, on the site's worker, with the mounted client certificate.
"""

import os
import socket
import time

from django.db import connection

from nautobot.apps.jobs import IntegerVar, Job, StringVar, register_jobs

RUNS_TABLE = "understack_e2e_runs"


class SiteProbe(Job):
    """Records that it ran, where, and returns the facts."""

    token = StringVar(required=False, default="")
    sleep_ms = IntegerVar(required=False, default=0)

    class Meta:
        name = "UnderStack e2e site probe"
        description = "Proves a site worker executes jobs of its queue (e2e suite)."
        has_sensitive_variables = False

    def run(self, token="", sleep_ms=0):  # pylint: disable=arguments-differ
        if sleep_ms:
            time.sleep(sleep_ms / 1000)
        result_id = str(self.job_result.pk)
        with connection.cursor() as cursor:
            # The job's own database session as the server sees it: TLS, the client certificate's DN and serial.
            cursor.execute(
                "select ssl, client_dn, client_serial::text, version from pg_stat_ssl where pid = pg_backend_pid()"
            )
            ssl, client_dn, client_serial, tls_version = cursor.fetchone()
            cursor.execute(
                f"insert into {RUNS_TABLE} (job_result_id, token, hostname, site, pid) values (%s, %s, %s, %s, %s)",
                [result_id, token, socket.gethostname(), os.environ.get("UNDERSTACK_SITE", ""), os.getpid()],
            )
        self.logger.info("site probe %s ran on %s", token, os.environ.get("UNDERSTACK_SITE"))
        return {
            "token": token,
            "site": os.environ.get("UNDERSTACK_SITE"),
            "pid": os.getpid(),
            "db_ssl": ssl,
            "db_client_dn": client_dn,
            "db_client_serial": client_serial,
            "db_tls_version": tls_version,
        }


register_jobs(SiteProbe)
