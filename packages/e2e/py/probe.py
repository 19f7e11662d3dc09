"""One client connection for the e2e suite, as the worker's libraries make it (psycopg2 on libpq 17, redis-py).

Usage: python probe.py < request.json      (prints one JSON object; exit 0 even when the connection is refused)

request: {"kind": "pg", "conn": {libpq keywords...}, "sql": "select ...", "params": [...], "repeat": 1}
         {"kind": "redis", "conn": {redis-py Redis(...) kwargs}, "command": ["PING"], "repeat": 1}
result:  {"ok": true, "rows": [...], "ms": [..per connection setup+query..]} or {"ok": false, "error": "...", "type": "..."}
`repeat` opens that many fresh connections in turn (latency measurements). Passwords never appear in the output.
"""

import json
import sys
import time


def pg(req):
    import psycopg2

    rows, times = None, []
    for _ in range(req.get("repeat", 1)):
        t0 = time.perf_counter()
        conn = psycopg2.connect(**req["conn"])
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(req.get("sql", "select 1"), req.get("params"))
                rows = cur.fetchall() if cur.description else []
        finally:
            conn.close()
        times.append((time.perf_counter() - t0) * 1000)
    return {"ok": True, "rows": [[str(v) if v is not None else None for v in r] for r in rows], "ms": times}


def redis_(req):
    import redis

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    conn = dict(req["conn"])
    # One attempt: a negative case must see the first error, not three retries of it.
    conn["retry"] = Retry(NoBackoff(), req.get("retries", 0))
    out, times = None, []
    for _ in range(req.get("repeat", 1)):
        t0 = time.perf_counter()
        client = redis.Redis(**conn)
        try:
            out = client.execute_command(*req.get("command", ["PING"]))
        finally:
            client.close()
        times.append((time.perf_counter() - t0) * 1000)
    if isinstance(out, dict):
        out = {str(k): str(v) for k, v in out.items()}
    if isinstance(out, bytes):
        out = out.decode("utf-8", "replace")
    return {"ok": True, "rows": out if isinstance(out, (list, dict, str, int)) else str(out), "ms": times}


def main():
    req = json.load(sys.stdin)
    try:
        res = pg(req) if req["kind"] == "pg" else redis_(req)
    except Exception as exc:  # the error is the result of a negative case
        message = str(exc).strip()
        for secret in [req.get("conn", {}).get("password"), *[p for p in req.get("params") or [] if isinstance(p, str)]]:
            if secret:
                message = message.replace(secret, "***")
        res = {"ok": False, "type": type(exc).__name__, "error": message}
    json.dump(res, sys.stdout, default=str)


if __name__ == "__main__":
    main()
