"""The `kesu` command: the embedded all-in-one and the usual operations.

kesu serve [--host H] [--port P] [--preset NAME] [--no-demo]
kesu worker | kesu policy load NAME|FILE | kesu demo | kesu token create USER
kesu <any Django management command>
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    import django

    django.setup()


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kesu serve", description="Run kesu: web and worker.")
    parser.add_argument("--host", default=os.environ.get("KESU_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("KESU_PORT", "8000")))
    parser.add_argument("--preset", default=os.environ.get("KESU_PRESET", "logistics"))
    parser.add_argument("--no-demo", action="store_true", help="do not create demo data")
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args(argv)

    data_dir = Path(os.environ.get("KESU_DATA_DIR", "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KESU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KESU_BASE_URL", f"http://{args.host}:{args.port}")
    _django_setup()
    from django.core.management import call_command

    from kesu.policy.models import Policy

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Policy.objects.filter(is_active=True).exists():
        call_command("policy", "load", args.preset)
    logins = []
    if not args.no_demo:
        from kesu.demo.builder import demo_exists

        if not demo_exists():
            call_command("demo", verbosity=0)
        from kesu.demo.builder import DEMO_PASSWORD, demo_logins

        logins = demo_logins()

    env = dict(os.environ)
    bind = f"{args.host}:{args.port}"
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kesu.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(args.web_workers),
            "--access-logfile",
            "-",
            # Its lines without the customers' private portal links (kesu.logjson).
            "--logger-class",
            "kesu.gunicorn_conf.PrivateLinkLogger",
            # One control socket per user (~/.gunicorn/gunicorn.ctl): a second kesu (or any
            # gunicorn) on the machine would fight over it; the embedded run needs none.
            "--no-control-socket",
        ],
        env=env,
    )
    worker = subprocess.Popen([sys.executable, "-m", "kesu.cli", "worker"], env=env)
    print(f"\nkesu is running at http://{bind}/  (API: http://{bind}/api/v1/docs)")
    print(f"data: {data_dir}")
    if logins:
        print(f"demo logins (password {DEMO_PASSWORD}):")
        for username, role, name in logins:
            print(f"  {username:<26} {role:<10} {name}")
    print("Ctrl-C stops web and worker.\n", flush=True)

    children = [web, worker]

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
    return max((child.returncode or 0) for child in children)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "serve":
        return serve(argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kesu", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
