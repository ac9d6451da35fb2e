"""Peak memory (RSS) of kesu's processes: gunicorn web workers under load, the monthly report
job and the import job (bench/notes-import-memory.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesu_bench1m KESU_DATA_DIR=/tmp/bench1m \\
        python3 -m uv run --frozen python bench/memory.py --month 2026-10

(a) **Web workers.** Starts gunicorn as bench/intake.py does (its ``start_gunicorn``:
``kesu.wsgi:application``, ``--workers 4 --threads 2`` gthread, production settings without
TLS) on a free 127.0.0.1 port, signs in the manager of the department with the most open
complaints (a session made with the server's own settings, sent as a cookie) and issues an API
token for a bench agent, then has ``wrk`` (``apt-get install wrk``) request, round-robin, console
pages (dashboard, department and overdue queues, a search, complaint pages) and API GETs (the
complaint list, a complaint, its timeline) for ``--seconds`` (default 20) while every worker's
VmRSS is sampled from /proc every 0.5 s; at the end each worker's VmHWM (its peak RSS) and PSS
(``smaps_rollup``: shared pages counted once, so the workers' sum is what they really hold).
``--rounds`` times (default 3), each with a fresh gunicorn, so each round's peak is its own.

(b) **The monthly report job**: ``kesu report --month M --format pdf`` in a child process,
``--report-repeat`` times (default 3); its peak RSS is the child's ``ru_maxrss`` (``os.wait4``),
with VmRSS sampled every 0.5 s to show when it peaks.

(c) **The import job**: bench/importing.py run on ``--import-rows`` rows (default 10,000;
0 skips it) against ``--import-database`` (default ``kesu_bench_import``; importing.py empties
its complaint tables), whose child's ``ru_maxrss`` is its peak; the figures of earlier
importing.py runs (``bench/results/importing-*.json``) are shown beside it.

Prints a table and writes ``bench/results/memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

from intake import free_port, issue_token, server_env, start_gunicorn  # noqa: E402
from proc import measured, status_kb  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SEARCH = "外包装破损"

LUA = r"""
local paths = {%PATHS%}
local kinds = {%KINDS%}
local cookie = "%COOKIE%"
local token = "%TOKEN%"
local threads = {}
local i = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  i = tid * 7
end

function request()
  i = i + 1
  local k = (i % #paths) + 1
  local headers
  if kinds[k] == "c" then
    headers = {["Cookie"] = cookie}
  else
    headers = {["Authorization"] = "Bearer " .. token}
  end
  return wrk.format("GET", paths[k], headers)
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad < 3 then io.stderr:write(status .. "\n") end
  end
end

function done(summary, latency, requests)
  local nbad = 0
  for _, t in ipairs(threads) do nbad = nbad + (t:get("bad") or 0) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "p50_us": %d, "p99_us": %d, "errors": %d, '
    .. '"non200": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout, nbad))
end
"""


# --- /proc -------------------------------------------------------------------------------------


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # the command may hold spaces and brackets: the fields after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def mib(kb: float) -> float:
    return kb / 1024


# --- (a) web workers ---------------------------------------------------------------------------


def production_env() -> dict[str, str]:
    """The settings gunicorn runs with (bench/intake.py ``server_env``), for this process too:
    the session made here must be valid there (same secret key)."""
    env = server_env(argparse.Namespace())
    for key in ("KESU_ENV", "KESU_SECRET_KEY", "KESU_ALLOWED_HOSTS", "KESU_TLS", "KESU_LOG_LEVEL"):
        os.environ[key] = env[key]
    return env


def collect_static(env: dict[str, str]) -> None:
    """Production settings serve the collected, hashed static files (WhiteNoise manifest):
    collect them into KESU_DATA_DIR/static once, as a deployment does."""
    manifest = Path(env["KESU_DATA_DIR"]) / "static" / "staticfiles.json"
    if not manifest.exists():
        kesu = str(Path(sys.executable).parent / "kesu")
        subprocess.run(
            [kesu, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
        )


def targets(args: argparse.Namespace) -> tuple[list[tuple[str, str]], str, str]:
    """The (kind, path) pairs to request, the session cookie and the API token."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.db.models import Count

    from kesu.accounts.models import Role, User
    from kesu.complaints.models import Complaint

    token = issue_token()
    open_by_dept = (
        Complaint.objects.filter(closed_at__isnull=True)
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    manager = (
        User.objects.filter(
            role=Role.MANAGER,
            is_active=True,
            department_id=open_by_dept["department_id"] if open_by_dept else None,
        )
        .order_by("pk")
        .first()
    )
    if manager is None:
        raise SystemExit("no manager for the busiest department: run bench/generate.py first")
    session = SessionStore()
    session[SESSION_KEY] = str(manager.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = manager.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    numbers = list(
        Complaint.objects.filter(department_id=manager.department_id)
        .order_by("-received_at")
        .values_list("number", flat=True)[: args.complaints]
    )
    connection.close()
    pairs = [
        ("c", "/console/"),
        ("c", "/console/queue/department/"),
        ("c", "/console/queue/overdue/"),
        ("c", "/console/search/?q=" + urllib.parse.quote(SEARCH)),
        ("a", "/api/v1/complaints?limit=50"),
    ]
    for number in numbers:
        pairs += [
            ("c", f"/console/c/{number}/"),
            ("a", f"/api/v1/complaints/{number}"),
            ("a", f"/api/v1/complaints/{number}/timeline"),
        ]
    return pairs, cookie, token


def check_targets(port: int, pairs: list[tuple[str, str]], cookie: str, token: str) -> dict:
    statuses: dict[str, int] = {}
    for kind, path in pairs:
        headers = {"Cookie": cookie} if kind == "c" else {"Authorization": f"Bearer {token}"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                statuses[path] = r.status
        except urllib.error.HTTPError as exc:
            statuses[path] = exc.code
        except OSError:
            statuses[path] = 0
    return statuses


def write_lua(path: Path, pairs: list[tuple[str, str]], cookie: str, token: str) -> None:
    path.write_text(
        LUA.replace("%PATHS%", ", ".join(json.dumps(p) for _k, p in pairs))
        .replace("%KINDS%", ", ".join(json.dumps(k) for k, _p in pairs))
        .replace("%COOKIE%", cookie)
        .replace("%TOKEN%", token)
    )


def web_round(
    args: argparse.Namespace, pairs: list[tuple[str, str]], cookie: str, token: str, n: int
) -> dict:
    work = Path(tempfile.mkdtemp(prefix="kesu-memory-"))
    lua = work / "mix.lua"
    write_lua(lua, pairs, cookie, token)
    port = free_port()
    proc = start_gunicorn(args, port, work / "gunicorn.log")
    try:
        statuses = check_targets(port, pairs, cookie, token)  # also warms every worker up
        bad = {p: s for p, s in statuses.items() if s != 200}
        if bad:
            # Measure what works: a failing page (e.g. a database not migrated for the code
            # checked out) is left out of the mix and listed in the results.
            print(f"  left out, not 200 before the load: {len(bad)} paths", file=sys.stderr)
            kept = [(k, p) for k, p in pairs if p not in bad]
            if not kept:
                raise SystemExit(f"no path answers 200: {bad}")
            write_lua(lua, kept, cookie, token)
        workers = children_of(proc.pid)
        idle = {w: status_kb(w, "VmRSS") for w in workers}
        samples: list[tuple[float, dict[int, int]]] = []
        done = threading.Event()
        started = time.monotonic()

        def sample() -> None:
            while not done.wait(0.5):
                samples.append(
                    (
                        round(time.monotonic() - started, 1),
                        {w: status_kb(w, "VmRSS") for w in workers},
                    )
                )

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cmd = [
            "wrk",
            f"-t{args.wrk_threads}",
            f"-c{args.concurrency}",
            f"-d{args.seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(lua),
            f"http://127.0.0.1:{port}",
        ]
        out = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.seconds + 90, check=False
        )
        done.set()
        sampler.join()
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
        if line is None:
            raise SystemExit(f"wrk failed: {out.stdout}\n{out.stderr}")
        load = json.loads(line[len("WRKJSON ") :])
        load["rps"] = load["requests"] / load["seconds"] if load["seconds"] else 0.0
        alive = [w for w in workers if os.path.exists(f"/proc/{w}")]
        hwm = {w: status_kb(w, "VmHWM") for w in alive}
        rss_end = {w: status_kb(w, "VmRSS") for w in alive}
        pss = {w: pss_kb(w) for w in alive}
        master = {"rss_kb": status_kb(proc.pid, "VmRSS"), "hwm_kb": status_kb(proc.pid, "VmHWM")}
        restarted = sorted(set(children_of(proc.pid)) - set(workers))
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
    sum_peak = max((sum(s.values()) for _t, s in samples), default=0)
    result = {
        "round": n + 1,
        "workers": len(workers),
        "restarted_workers": restarted,
        "statuses_not_200": bad,
        "load": load,
        "idle_rss_kb": idle,
        "hwm_kb": hwm,
        "rss_end_kb": rss_end,
        "pss_end_kb": pss,
        "master": master,
        "max_worker_hwm_kb": max(hwm.values(), default=0),
        "median_worker_hwm_kb": statistics.median(hwm.values()) if hwm else 0,
        "median_worker_idle_kb": statistics.median(idle.values()) if idle else 0,
        "sum_rss_peak_kb": sum_peak,
        "sum_pss_end_kb": sum(pss.values()),
        "samples": [(t, sum(s.values())) for t, s in samples[:: max(1, len(samples) // 40)]],
    }
    print(
        f"  web round {n + 1}: {load['rps']:.1f} req/s, non-200 {load['non200']}, errors "
        f"{load['errors']}; worker idle {mib(result['median_worker_idle_kb']):.0f} MiB, "
        f"peak (VmHWM) median {mib(result['median_worker_hwm_kb']):.0f} / max "
        f"{mib(result['max_worker_hwm_kb']):.0f} MiB; all workers RSS peak "
        f"{mib(sum_peak):.0f} MiB, PSS {mib(result['sum_pss_end_kb']):.0f} MiB",
        file=sys.stderr,
        flush=True,
    )
    return result


# --- (b) and (c): a child process --------------------------------------------------------------


def report_job(args: argparse.Namespace, env: dict[str, str]) -> list[dict]:
    kesu = str(Path(sys.executable).parent / "kesu")
    out_dir = Path(tempfile.mkdtemp(prefix="kesu-memory-report-"))
    runs = []
    for n in range(args.report_repeat):
        cmd = [kesu, "report", "--month", args.month, "--format", "pdf"]
        cmd += ["--output", str(out_dir / f"report-{n}.pdf")]
        run = measured(cmd, env, args.timeout)
        if run["exit"] != 0:
            raise SystemExit(f"kesu report failed: {run['output_tail']}")
        runs.append(run)
        print(
            f"  report {n + 1}: {run['wall_seconds']:.1f} s, peak RSS "
            f"{mib(run['peak_rss_kb']):.0f} MiB",
            file=sys.stderr,
            flush=True,
        )
    return runs


def import_job(args: argparse.Namespace) -> dict | None:
    if not args.import_rows:
        return None
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + args.import_database
    out = Path(tempfile.mkdtemp(prefix="kesu-memory-import-")) / "importing.json"
    env = dict(os.environ, DATABASE_URL=url, KESU_DATA_DIR=args.import_data_dir)
    for key in ("KESU_ENV", "KESU_SECRET_KEY", "KESU_ALLOWED_HOSTS", "KESU_TLS"):
        env.pop(key, None)  # importing.py sets the child's own (production) settings
    cmd = [sys.executable, str(ROOT / "bench" / "importing.py"), "--rows", str(args.import_rows)]
    cmd += ["--repeat", str(args.import_repeat), "--json", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, timeout=args.timeout * 2, check=False)
    if done.returncode != 0 or not out.exists():
        raise SystemExit("bench/importing.py failed")
    data = json.loads(out.read_text())
    return {"database": args.import_database, **data}


def earlier_imports() -> list[dict]:
    found = []
    for path in sorted(RESULTS.glob("importing*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for size, s in data.get("summary", {}).items():
            found.append({"file": path.name, "rows": int(size), "date": data.get("date"), **s})
    return found


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--month", default="2026-10", help="the report's month")
    parser.add_argument("--seconds", type=int, default=20, help="load per web round")
    parser.add_argument("--rounds", type=int, default=3, help="web rounds (fresh gunicorn)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--complaints", type=int, default=20, help="complaint pages requested")
    parser.add_argument("--report-repeat", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=10_000, help="0: skip the import")
    parser.add_argument("--import-repeat", type=int, default=1)
    parser.add_argument("--import-database", default="kesu_bench_import")
    parser.add_argument("--import-data-dir", default="/tmp/bench-import")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per child job")
    parser.add_argument("--skip", default="", help="comma-separated: web, report, import")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/memory.py needs PostgreSQL (set DATABASE_URL)")
    if "web" not in skip and not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")

    env = production_env()
    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
        "database": os.environ["DATABASE_URL"].rsplit("/", 1)[-1],
        "settings": {
            "gunicorn": f"--workers {args.workers} --threads {args.threads} gthread",
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "month": args.month,
        },
    }
    web: list[dict] = []
    if "web" not in skip:
        collect_static(env)
        pairs, cookie, token = targets(args)
        result["settings"]["paths"] = len(pairs)
        print(f"(a) web workers: {len(pairs)} paths, {args.rounds} rounds", file=sys.stderr)
        for n in range(args.rounds):
            web.append(web_round(args, pairs, cookie, token, n))
    result["web"] = web
    report: list[dict] = []
    if "report" not in skip:
        print(f"(b) kesu report --month {args.month} --format pdf", file=sys.stderr)
        report = report_job(args, env)
    result["report"] = report
    imported = None
    if "import" not in skip:
        print(f"(c) import of {args.import_rows:,} rows (bench/importing.py)", file=sys.stderr)
        imported = import_job(args)
    result["import"] = imported
    result["earlier_imports"] = earlier_imports()

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(float(r[key]) for r in rows)

    def line(what: str, rows: list[dict], key: str) -> tuple[str, float, float]:
        return what, med(rows, key), max(float(r[key]) for r in rows)

    table = []
    if web:
        table += [
            line("web worker idle, after warm-up (VmRSS, median)", web, "median_worker_idle_kb"),
            line("web worker peak under load (VmHWM, median)", web, "median_worker_hwm_kb"),
            line("web worker peak under load (VmHWM, largest)", web, "max_worker_hwm_kb"),
            line(f"all {args.workers} workers: RSS sum at its peak", web, "sum_rss_peak_kb"),
            line(f"all {args.workers} workers: PSS sum after the load", web, "sum_pss_end_kb"),
        ]
    if report:
        what = f"kesu report --month {args.month} --format pdf (ru_maxrss)"
        table.append(line(what, report, "peak_rss_kb"))
    if imported:
        for size, s in imported["summary"].items():
            table.append(
                (
                    f"import of {int(size):,} rows, valid_only (ru_maxrss)",
                    1024 * s["peak_rss_mib_median"],
                    1024 * s["peak_rss_mib_median"],
                )
            )
    result["table_mib"] = [
        {"what": what, "median_mib": mib(m), "max_mib": mib(x)} for what, m, x in table
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))

    print(f"\nPeak memory on {result['database']} ({result['machine']})")
    print("| process | median MiB | max MiB |")
    print("|---|---|---|")
    for what, m, x in table:
        print(f"| {what} | {mib(m):.0f} | {mib(x):.0f} |")
    if web:
        print(
            f"\nweb load: {med([r['load'] for r in web], 'rps'):.1f} req/s median, "
            f"{sum(r['load']['non200'] for r in web)} non-200, "
            f"{sum(r['load']['errors'] for r in web)} socket errors"
        )
    for e in result["earlier_imports"]:
        print(
            f"earlier import ({e['file']}, {e['date']}): {e['rows']:,} rows, peak RSS "
            f"{e['peak_rss_mib_median']:.0f} MiB, {e['seconds_median']:.0f} s"
        )
    print(f"wrote {RESULTS / 'memory.json'}")


if __name__ == "__main__":
    main()
