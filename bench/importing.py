"""Import of a large .xlsx file through the real import service (bench/notes-import-memory.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesu_bench_import \\
    KESU_DATA_DIR=/tmp/bench-import \\
        python3 -m uv run --frozen python bench/importing.py --rows 10000,100000

Migrates the database, loads the preset (``--preset``, default ``logistics``; as
bench/generate.py does) and makes an importing agent. For each row count, writes a realistic
workbook (openpyxl write-only: Chinese names, companies and descriptions, valid mobile
numbers shared by several rows, categories by their Chinese names from the active policy,
Excel date cells, mostly closed history with an outcome, ``--open-share`` open complaints of
the last 60 days, some of them already overdue, ``--bad-share`` rows with a bad phone or an
unknown category) into a temporary directory, then imports it in a child process
(``importing.import_complaints``, the function ``kesu import FILE --mode valid`` calls) while
the parent samples the child's VmRSS from /proc. The child counts every SQL statement (by kind,
with their time); its peak RSS is its ``ru_maxrss`` (``os.wait4``). Before each import the
complaint tables are emptied (``TRUNCATE … CASCADE``; only in a database whose name has
``import`` in it; ``--keep`` skips it), so every run starts from the same state. ``--repeat``
imports each size that many times (a new file each time) and reports the median and the best.
``--profile N`` also imports N rows under pyinstrument (``uv run --with pyinstrument``) and
lists the kesu functions by inclusive time per row. Prints a table and writes
``bench/results/importing.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")

from phrases import COMPANIES, DEMANDS, GIVEN, MIDDLES, OPENINGS, SURNAMES  # noqa: E402
from proc import measured, status_kb  # noqa: E402

RESULTS = ROOT / "bench" / "results"
IMPORTER = "bench_importer"
TRUNCATE = (
    "complaints_customer",
    "complaints_complaint",
    "complaints_batchalert",
    "outbox_outboxmessage",
    "outbox_notification",
)

OUTCOMES = [
    "已补发货物，客户确认收货。",
    "已按合同赔付，客户接受。",
    "已重开发票。",
    "已向客户道歉并对责任人进行培训。",
    "经核实运费无误，已向客户解释。",
]
CHANNELS = ["电话", "电话", "电话", "网站", "邮件", "app", "现场", ""]
HEADER = [
    "原编号",
    "受理时间",
    "投诉渠道",
    "客户姓名",
    "客户单位",
    "联系电话",
    "投诉事由",
    "投诉级别",
    "是否紧急",
    "标题",
    "投诉内容",
    "客户诉求",
    "索赔金额",
    "订单号",
    "运单号",
    "发生地点",
    "关闭时间",
    "处理结果",
]


# --- the workbook ------------------------------------------------------------------------------


def write_workbook(
    path: Path,
    rows: int,
    *,
    categories: list[str],
    levels: list[str],
    open_share: float,
    bad_share: float,
    seed: int,
    now: dt.datetime,
) -> dict[str, int]:
    """A realistic register of ``rows`` complaints (naive Beijing times, as Excel keeps them).
    Returns how many rows of each kind were written."""
    from openpyxl import Workbook

    rnd = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("投诉登记")
    sheet.append(HEADER)
    # About three complaints per customer; the phone stays with the name (customer look-up).
    customers = max(rows // 3, 1)
    prefix = 130 + seed % 60
    counts = {"closed_history": 0, "open": 0, "bad": 0}
    for i in range(rows):
        c = rnd.randrange(customers)
        name = SURNAMES[c % len(SURNAMES)] + GIVEN[(c // 7) % len(GIVEN)]
        phone = f"{prefix}{(seed * 7919 + c) % 100_000_000:08d}"
        is_open = rnd.random() < open_share
        if is_open:
            received = now - dt.timedelta(minutes=rnd.randrange(10, 60 * 24 * 60))
        else:
            received = now - dt.timedelta(minutes=rnd.randrange(60 * 24 * 20, 60 * 24 * 360))
        received = received.replace(second=0, microsecond=0)
        category = rnd.choice(categories)
        order = f"SO{seed % 100:02d}{i:08d}"
        description = (
            f"{rnd.choice(OPENINGS)}（订单{order}），{rnd.choice(MIDDLES)}{rnd.choice(DEMANDS)}"
        )
        closed = ""
        outcome = ""
        if not is_open:
            closed = received + dt.timedelta(hours=rnd.randrange(2, 24 * 12))
            outcome = rnd.choice(OUTCOMES)
        if rnd.random() < bad_share:
            counts["bad"] += 1
            if rnd.random() < 0.5:
                phone = "138-abc-" + phone[-4:]
            else:
                category = "未知类别"
        else:
            counts["open" if is_open else "closed_history"] += 1
        sheet.append(
            [
                f"TS-{seed % 100:02d}-{i:07d}" if rnd.random() < 0.5 else None,
                received,
                rnd.choice(CHANNELS),
                name,
                rnd.choice(COMPANIES) if rnd.random() < 0.4 else None,
                phone,
                category,
                rnd.choice(levels) if rnd.random() < 0.3 else None,
                rnd.choice(["否", "否", "是", None]),
                description[:30] if rnd.random() < 0.5 else None,
                description,
                rnd.choice(DEMANDS),
                rnd.choice([None, None, 500, 1280.5, "¥2,000"]),
                order,
                f"YD{seed % 100:02d}{i:09d}" if rnd.random() < 0.6 else None,
                rnd.choice(["上海仓", "苏州分拨中心", "客户现场", None]),
                closed or None,
                outcome or None,
            ]
        )
    workbook.save(path)
    return counts


# --- the child: one import ---------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    """Import ``args.child`` as the bench agent; write the figures as JSON to ``args.out``."""
    import django

    django.setup()
    from django.db import connection

    from kesu.accounts.models import User
    from kesu.complaints.services import importing

    actor = User.objects.get(username=IMPORTER)
    connection.close()
    baseline_kb = status_kb("self", "VmRSS")
    sql: dict[str, list[float]] = {}

    progress = open(args.out + ".progress", "w")  # noqa: SIM115 — closed below
    stored = 0

    def timed(execute, statement, params, many, context):
        nonlocal stored
        t = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            key = " ".join(statement.split())[:120]
            entry = sql.setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += time.perf_counter() - t
            if key.startswith('INSERT INTO "complaints_complaint" '):
                stored += 1
                if stored % 1000 == 0:  # rows stored, seconds, RSS: the rate as it goes
                    elapsed = time.perf_counter() - started
                    rss = status_kb("self", "VmRSS")
                    progress.write(f"{stored} {elapsed:.1f} {rss}\n")
                    progress.flush()

    profiler = None
    if args.profile_child:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
    started = time.perf_counter()
    with connection.execute_wrapper(timed), open(args.child, "rb") as file:
        if profiler:
            profiler.start()
        report = importing.import_complaints(
            file=file, file_name=Path(args.child).name, actor=actor, mode=args.mode_name
        )
        if profiler:
            profiler.stop()
    seconds = time.perf_counter() - started
    progress.close()
    kinds: dict[str, int] = {}
    for key, (count, _t) in sql.items():
        kind = key.split(None, 1)[0].upper() if key else "?"
        kinds[kind] = kinds.get(kind, 0) + count
    result = {
        "seconds": seconds,
        "rows": report.rows,
        "valid": report.valid,
        "invalid": report.invalid,
        "stored": report.stored,
        "closed_history": report.closed_history,
        "overdue": report.overdue,
        "errors": len(report.errors),
        "refused": report.refused,
        "statements": sum(c for c, _t in sql.values()),
        "statements_by_kind": kinds,
        "sql_seconds": sum(t for _c, t in sql.values()),
        "top_statements": [
            {"count": c, "seconds": round(t, 3), "sql": k}
            for k, (c, t) in sorted(sql.items(), key=lambda kv: -kv[1][1])[:20]
        ],
        "baseline_rss_kb": baseline_kb,
        "vmhwm_kb": status_kb("self", "VmHWM"),
    }
    if profiler:
        result["profile"] = _kesu_functions(profiler, report.rows)
        result["profile_tree"] = profiler.output_text(unicode=True, show_all=False)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, default=str))


def _kesu_functions(profiler, rows: int) -> list[str]:
    lines = []
    flat = profiler.output_text(unicode=True, flat=True, flat_time="total", show_all=True)
    for line in flat.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2 and ("kesu/" in parts[1] or "django/db" in parts[1]):
            try:
                seconds = float(parts[0])
            except ValueError:
                continue
            lines.append(f"{1000 * seconds / max(rows, 1):8.2f} ms/row  {parts[1]}")
            if len(lines) >= 40:
                break
    return lines


def _progress(out: Path) -> list[list[float]]:
    """The child's (rows stored, seconds, VmRSS KiB) every 1,000 stored rows."""
    try:
        lines = Path(str(out) + ".progress").read_text().split("\n")
    except OSError:
        return []
    return [[float(x) for x in ln.split()] for ln in lines if ln.strip()]


def run_child(args: argparse.Namespace, path: Path, *, profile: bool = False) -> dict[str, object]:
    """Run one import in a child process; its figures, peak RSS and RSS samples."""
    out = path.with_suffix(".json")
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(path),
        "--mode",
        args.mode,
        "--out",
        str(out),
    ]
    if profile:
        cmd.append("--profile-child")
    # Production settings (DEBUG off: no query log), as `kesu import` runs on a server.
    env = dict(
        os.environ,
        KESU_ENV="production",
        KESU_SECRET_KEY="bench-import-not-secret-" + "x" * 40,
        KESU_ALLOWED_HOSTS="127.0.0.1,localhost",
        KESU_TLS="0",
        KESU_LOG_LEVEL="WARNING",
    )
    if args.debug:
        env["KESU_ENV"] = "development"
    run = measured(cmd, env, args.timeout, interval=1.0, capture=False)
    samples = run["samples"][:: max(1, len(run["samples"]) // 30)]
    if run["timed_out"]:
        partial = {
            "timed_out": True,
            "timeout": args.timeout,
            "peak_rss_kb": run["peak_rss_kb"],
            "progress": _progress(out),
            "rss_samples_kb": samples,
        }
        Path(str(out) + ".partial").write_text(json.dumps(partial))
        raise SystemExit(
            f"import of {path.name} passed --timeout {args.timeout} s: killed; progress "
            f"(rows stored, seconds, VmRSS KiB) in {out}.partial: {partial['progress'][-3:]}"
        )
    if run["exit"] != 0 or not out.exists():
        raise SystemExit(f"import child failed with status {run['exit']}")
    result = json.loads(out.read_text())
    result["wall_seconds"] = run["wall_seconds"]
    result["peak_rss_kb"] = run["peak_rss_kb"]  # KiB on Linux: this child's own peak
    result["cpu_seconds"] = run["cpu_seconds"]
    result["rss_samples_kb"] = samples
    result["progress"] = _progress(out)
    return result


# --- the parent --------------------------------------------------------------------------------


def setup(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """Migrate, load the preset, make the importing agent; the categories' and levels' names."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kesu.accounts.models import Role, User
    from kesu.policy.loader import active_policy, policy_load

    if connection.vendor != "postgresql":
        raise SystemExit("bench/importing.py needs PostgreSQL (set DATABASE_URL)")
    call_command("migrate", verbosity=0)
    doc = (active_policy() if args.keep_policy else policy_load(args.preset)).doc
    User.objects.get_or_create(
        username=IMPORTER, defaults={"role": Role.AGENT, "display_name": "导入员"}
    )
    categories = [c.name for c in doc.categories]
    levels = [lv.code for lv in doc.levels]
    connection.close()
    return categories, levels


def reset(args: argparse.Namespace) -> None:
    from django.db import connection

    if args.keep:
        return
    name = connection.settings_dict["NAME"]
    if "import" not in name:
        raise SystemExit(f"refusing to empty the complaint tables of {name!r}: use --keep")
    with connection.cursor() as cur:
        cur.execute("TRUNCATE " + ", ".join(TRUNCATE) + " CASCADE")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", default="100000", help="row counts, comma-separated")
    parser.add_argument("--mode", choices=["all", "valid"], default="valid")
    parser.add_argument("--repeat", type=int, default=1, help="imports per row count")
    parser.add_argument("--open-share", type=float, default=0.1)
    parser.add_argument("--bad-share", type=float, default=0.01)
    parser.add_argument("--preset", default="logistics")
    parser.add_argument("--keep-policy", action="store_true", help="use the active policy")
    parser.add_argument("--keep", action="store_true", help="do not empty the tables first")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per import")
    parser.add_argument("--profile", type=int, default=0, help="also profile an N-row import")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--debug", action="store_true", help="development settings (DEBUG on)")
    parser.add_argument("--json", default=str(RESULTS / "importing.json"))
    # internal: the child process
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.mode_name = {"all": "all_or_nothing", "valid": "valid_only"}[args.mode]
    if args.child:
        child(args)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("bench/importing.py needs PostgreSQL (set DATABASE_URL)")

    from zoneinfo import ZoneInfo

    categories, levels = setup(args)
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    work = Path(tempfile.mkdtemp(prefix="kesu-import-"))
    sizes = [int(s) for s in args.rows.split(",") if s.strip()]
    runs: dict[int, list[dict[str, object]]] = {}
    seed = args.seed
    for size in sizes:
        for n in range(args.repeat):
            seed += 1
            path = work / f"import-{size}-{n}.xlsx"
            t = time.perf_counter()
            written = write_workbook(
                path,
                size,
                categories=categories,
                levels=levels,
                open_share=args.open_share,
                bad_share=args.bad_share,
                seed=seed,
                now=now,
            )
            write_s = time.perf_counter() - t
            reset(args)
            result = run_child(args, path)
            result.update(
                file_rows=size,
                file_mb=path.stat().st_size / 1e6,
                write_seconds=write_s,
                written=written,
                rows_per_s=result["rows"] / result["seconds"],
                statements_per_row=result["statements"] / max(result["rows"], 1),
            )
            runs.setdefault(size, []).append(result)
            print(
                f"{size:>7} rows: {result['seconds']:7.1f} s  {result['rows_per_s']:6.1f} rows/s  "
                f"{result['statements_per_row']:5.1f} stmt/row  SQL {result['sql_seconds']:.1f} s  "
                f"peak RSS {result['peak_rss_kb'] / 1024:.0f} MiB  stored {result['stored']:,}  "
                f"errors {result['errors']}  (file {result['file_mb']:.1f} MB in {write_s:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
            path.unlink()

    profile = None
    if args.profile:
        path = work / "profile.xlsx"
        write_workbook(
            path,
            args.profile,
            categories=categories,
            levels=levels,
            open_share=args.open_share,
            bad_share=args.bad_share,
            seed=seed + 1,
            now=now,
        )
        reset(args)
        profile = run_child(args, path, profile=True)

    def med(size: int, key: str) -> float:
        return statistics.median(float(r[key]) for r in runs[size])

    summary = {
        size: {
            "imports": len(runs[size]),
            "seconds_median": med(size, "seconds"),
            "seconds_best": min(float(r["seconds"]) for r in runs[size]),
            "rows_per_s_median": med(size, "rows_per_s"),
            "statements_per_row": med(size, "statements_per_row"),
            "sql_seconds_median": med(size, "sql_seconds"),
            "peak_rss_mib_median": med(size, "peak_rss_kb") / 1024,
            "baseline_rss_mib": med(size, "baseline_rss_kb") / 1024,
            "stored": runs[size][-1]["stored"],
            "errors": runs[size][-1]["errors"],
        }
        for size in sizes
    }
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} CPUs, {os.uname().nodename}",
        "database": os.environ["DATABASE_URL"].rsplit("/", 1)[-1],
        "settings": {
            "mode": args.mode_name,
            "open_share": args.open_share,
            "bad_share": args.bad_share,
            "repeat": args.repeat,
            "preset": args.preset,
        },
        "summary": summary,
        "runs": runs,
        "profile": profile,
    }
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))

    print(f"\nImport ({args.mode_name}), medians of {args.repeat}, child process per import")
    print("| rows | seconds | best | rows/s | statements/row | SQL s | peak RSS MiB | stored |")
    print("|---|---|---|---|---|---|---|---|")
    for size, s in summary.items():
        print(
            f"| {size:,} | {s['seconds_median']:.1f} | {s['seconds_best']:.1f} | "
            f"{s['rows_per_s_median']:.1f} | {s['statements_per_row']:.1f} | "
            f"{s['sql_seconds_median']:.1f} | {s['peak_rss_mib_median']:.0f} | "
            f"{s['stored']:,} |"
        )
    if profile:
        print(
            f"\nProfile of {profile['rows']:,} rows ({profile['seconds']:.1f} s with pyinstrument)"
        )
        for line in profile.get("profile", []):
            print("  " + line)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
