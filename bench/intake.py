"""Intake throughput: complaints created per second through the API against gunicorn on
PostgreSQL, beside a bare Django view on the same server — the framework's ceiling
(bench/README.md, issue 6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesu_bench1m \\
        python3 -m uv run --frozen python bench/intake.py

Starts gunicorn itself (``kesu.wsgi:application``, a fixed number of workers and threads,
production settings without TLS, ``KESU_BENCH_VIEWS=1`` for ``/bench/ping``) on a free
127.0.0.1 port, issues an API token for a bench agent, then drives both targets with ``wrk``
(``apt-get install wrk``) at the same concurrency for a bounded time each, alternating
(ping, create, ping, create, …: ``--rounds``) so the ratio is measured within one run on a
noisy machine. Every creation carries its own ``Idempotency-Key`` and customer phone. Prints a
table and writes ``bench/results/intake.json``. ``--profile`` also profiles one creation
in-process with pyinstrument (``uv run --with pyinstrument``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

RESULTS = ROOT / "bench" / "results"

BODY = {
    "customer_name": "王伟",
    "customer_company": "上海恒昌贸易有限公司",
    "channel": "hotline",
    "title": "货损：收到的货物外包装严重破损",
    "description": "收到的货物外包装严重破损，现场拍了照片和视频，要求赔偿损失并书面说明原因。",
    "demand": "要求赔偿损失并书面说明原因。",
    "order_no": "ORDERNO",
}

# wrk script: POST with a unique Idempotency-Key and customer phone per request; done() prints
# one JSON line with the latency percentiles (microseconds) and the error counts.
LUA = r"""
local counter = 0
local threads = {}
local body_template = [[%BODY%]]
local token = "%TOKEN%"
local run = "%RUN%"
local round_base = tonumber(string.sub(run, -1)) * 100000

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  non2xx = 0
end

function request()
  counter = counter + 1
  local key = run .. "-" .. tid .. "-" .. counter
  local phone = string.format("139%02d%06d", tid, (counter + round_base) % 1000000)
  local body = string.gsub(body_template, "PHONE", phone)
  body = string.gsub(body, "ORDERNO", "SO" .. phone)
  return wrk.format("POST", "/api/v1/complaints", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    non2xx = non2xx + 1
    if non2xx < 3 then io.stderr:write(status .. " " .. string.sub(body, 1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "errors": %d, "non201": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout, bad))
end
"""

LUA_GET = r"""
function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
    .. '"max_us": %d, "errors": %d, "non201": 0}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def issue_token() -> str:
    import django

    django.setup()
    from kesu.accounts.models import ApiToken, Role, User

    user = User.objects.filter(role=Role.AGENT, is_active=True, username__startswith="bench_agent")
    agent = user.order_by("pk").first()
    if agent is None:
        raise SystemExit("no bench agent: run bench/generate.py on this database first")
    _token, raw = ApiToken.issue(user=agent, name="bench-intake")
    return raw


def server_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        KESU_ENV="production",
        KESU_SECRET_KEY="bench-intake-not-secret-" + "x" * 40,
        KESU_ALLOWED_HOSTS="127.0.0.1,localhost",
        KESU_TLS="0",
        KESU_BENCH_VIEWS="1",
        # One token creates hundreds of complaints a minute here: the per-token limits
        # (docs/decisions/0009) are raised so the counting is measured, not the refusals.
        KESU_API_RATE="1000000/min",
        KESU_API_WRITE_RATE="1000000/min",
        KESU_LOG_LEVEL="WARNING",
        KESU_DATA_DIR=env.get("KESU_DATA_DIR", tempfile.mkdtemp(prefix="kesu-intake-")),
    )
    return env


def start_gunicorn(args: argparse.Namespace, port: int, log: Path) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "kesu.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "5",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=server_env(args),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/ping", timeout=2) as r:
                if r.status == 200:
                    # One request per worker so every worker has imported and connected.
                    for _ in range(args.workers * 4):
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/ping").read()
                    return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    proc.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def run_wrk(args: argparse.Namespace, url: str, script: Path) -> dict:
    cmd = [
        "wrk",
        f"-t{min(args.concurrency, args.wrk_threads)}",
        f"-c{args.concurrency}",
        f"-d{args.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=args.seconds + 60, check=False
    )
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
    data = json.loads(line[len("WRKJSON ") :])
    data["rps"] = data["requests"] / data["seconds"] if data["seconds"] else 0.0
    if out.stderr.strip():
        data["stderr"] = out.stderr.strip()[:600]
    return data


def profile_one(count: int = 20) -> str:
    """Creations in-process (the API view through the test client, same code path) under
    pyinstrument, with every SQL statement timed: where a creation's time goes."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    try:
        from pyinstrument import Profiler
    except ImportError:
        return "pyinstrument not installed: run with `uv run --with pyinstrument`"
    from kesu.accounts.models import ApiToken, Role, User

    agent = User.objects.filter(role=Role.AGENT, username__startswith="bench_agent").first()
    _t, raw = ApiToken.issue(user=agent, name="bench-profile")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    run = time.time_ns()

    def post(i: int):
        phone = f"1380{run % 10000:04d}{i:03d}"
        body = dict(BODY, customer_phone=phone, order_no="SO" + phone)
        return client.post(
            "/api/v1/complaints",
            json.dumps(body, ensure_ascii=False),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"profile-{run}-{i}",
        )

    for i in range(5):  # warm up (imports, connection, policy caches)
        post(i)
    sql: dict[str, list[float]] = {}

    def timed(execute, statement, params, many, context):
        t = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            key = " ".join(statement.split())[:110]
            sql.setdefault(key, []).append(time.perf_counter() - t)

    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        profiler.start()
        for i in range(count):
            response = post(100 + i)
            assert response.status_code == 201, response.content[:300]
        profiler.stop()
    wall = time.perf_counter() - started
    sql_total = sum(sum(v) for v in sql.values())
    queries = sum(len(v) for v in sql.values())
    lines = [
        f"{count} creations in-process: {1000 * wall / count:.1f} ms each "
        f"(with the profiler), {queries / count:.1f} SQL statements each taking "
        f"{1000 * sql_total / count:.1f} ms (database round trips), the rest Python.",
        "",
        "SQL statements by total time (per creation: count × ms):",
    ]
    for key, values in sorted(sql.items(), key=lambda kv: -sum(kv[1]))[:15]:
        lines.append(
            f"  {len(values) / count:4.1f} × {1000 * sum(values) / len(values):5.2f} ms  {key}"
        )
    lines += ["", "kesu functions by inclusive time (per creation, ms):"]
    flat = profiler.output_text(unicode=True, flat=True, flat_time="total", show_all=True)
    kept = 0
    for line in flat.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and "kesu/" in parts[1] and "bench/" not in parts[1]:
            try:
                seconds = float(parts[0])
            except ValueError:
                continue
            lines.append(f"  {1000 * seconds / count:7.1f}  {parts[1]}")
            kept += 1
            if kept >= 25:
                break
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20, help="per target and round")
    parser.add_argument("--rounds", type=int, default=2, help="ping/create pairs")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true", help="profile one creation")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/intake.py needs PostgreSQL (set DATABASE_URL)")

    token = issue_token()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaint")
        before = cur.fetchone()[0]
    connection.close()

    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="kesu-intake-"))
    body = json.dumps(dict(BODY, customer_phone="PHONE"), ensure_ascii=False)

    def post_script(n: int) -> Path:
        # A fresh run id per round: wrk restarts its counters, the Idempotency-Keys must not.
        path = work / f"post-{n}.lua"
        run = f"{time.time_ns()}-{n}"
        path.write_text(LUA.replace("%BODY%", body).replace("%TOKEN%", token).replace("%RUN%", run))
        return path

    get_lua = work / "get.lua"
    get_lua.write_text(LUA_GET)
    log = work / "gunicorn.log"
    proc = start_gunicorn(args, port, log)
    runs: dict[str, list[dict]] = {"ping": [], "create": []}
    try:
        for n in range(args.rounds):
            for name, path, script in (
                ("ping", "/bench/ping", get_lua),
                ("create", "/api/v1/complaints", post_script(n)),
            ):
                data = run_wrk(args, f"http://127.0.0.1:{port}{path}", script)
                runs[name].append(data)
                print(
                    f"round {n + 1} {name:>6}: {data['rps']:8.1f}/s "
                    f"p50 {data['p50_us'] / 1000:6.1f} ms  p99 {data['p99_us'] / 1000:6.1f} ms "
                    f"errors {data['errors']} non-201 {data['non201']}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaint")
        after = cur.fetchone()[0]

    def summary(name: str) -> dict:
        rows = runs[name]
        return {
            "rps_median": statistics.median(r["rps"] for r in rows),
            "rps_best": max(r["rps"] for r in rows),
            "p50_ms": statistics.median(r["p50_us"] for r in rows) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in rows) / 1000,
            "p99_ms_best": min(r["p99_us"] for r in rows) / 1000,
            "requests": sum(r["requests"] for r in rows),
            "errors": sum(r["errors"] for r in rows),
            "non201": sum(r["non201"] for r in rows),
        }

    ping, create = summary("ping"), summary("create")
    ratios = [c["rps"] / p["rps"] for p, c in zip(runs["ping"], runs["create"], strict=True)]
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
        "database_complaints_before": before,
        "complaints_created": after - before,
        "settings": {
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "gunicorn": f"--workers {args.workers} --threads {args.threads} gthread",
            "wrk_threads": args.wrk_threads,
        },
        "ping": ping,
        "create": create,
        "create_pct_of_ceiling_median": 100 * statistics.median(ratios),
        "create_pct_of_ceiling_per_round": [100 * r for r in ratios],
        "targets": {
            "pct_of_ceiling_ge_25": 100 * statistics.median(ratios) >= 25,
            "p99_lt_100ms": create["p99_ms"] < 100,
        },
        "runs": runs,
    }
    if args.profile:
        result["profile"] = profile_one()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "intake.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))

    print(
        f"\nIntake at concurrency {args.concurrency}, gunicorn {result['settings']['gunicorn']}, "
        f"{args.rounds} × {args.seconds} s per target, {before:,} complaints in the table"
    )
    print("| target | req/s (median) | best | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for name, s in (("bare view /bench/ping", ping), ("POST /api/v1/complaints", create)):
        print(
            f"| {name} | {s['rps_median']:.1f} | {s['rps_best']:.1f} | {s['p50_ms']:.1f} | "
            f"{s['p99_ms']:.1f} | {s['errors'] + s['non201']} |"
        )
    pct = result["create_pct_of_ceiling_median"]
    print(
        f"\ncreation = {pct:.1f} % of the ceiling (target ≥ 25 %: "
        f"{'met' if pct >= 25 else 'missed'}); p99 {create['p99_ms']:.1f} ms "
        f"(target < 100 ms: {'met' if create['p99_ms'] < 100 else 'missed'}); "
        f"{after - before:,} complaints created"
    )
    if args.profile:
        print("\n" + result["profile"])
    print(f"wrote {RESULTS / 'intake.json'}")


if __name__ == "__main__":
    main()
