"""Child processes measured from outside: wall time, peak RSS and VmRSS samples, bounded in
time (bench/importing.py, bench/memory.py)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def status_kb(pid: int | str, key: str) -> int:
    """A field of /proc/PID/status in KiB (VmRSS, VmHWM); 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measured(
    cmd: list[str],
    env: dict[str, str],
    timeout: float,
    *,
    interval: float = 0.5,
    capture: bool = True,
) -> dict[str, Any]:
    """Run ``cmd`` (killed after ``timeout`` seconds): exit code, wall and CPU seconds, peak RSS
    (``ru_maxrss`` of this very child, KiB), VmRSS samples every ``interval`` s and, with
    ``capture``, the tail of its output."""
    started = time.monotonic()
    pipe = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT} if capture else {}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, text=True, **pipe)
    samples: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            rss = status_kb(proc.pid, "VmRSS")
            if rss:
                samples.append((round(time.monotonic() - started, 1), rss))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output: list[str] = []
    reader = None
    if capture:
        reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
        reader.start()
    deadline = started + timeout
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            timed_out = True
            break
        time.sleep(0.1)
    done.set()
    sampler.join()
    if reader is not None:
        reader.join(timeout=5)
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "wall_seconds": time.monotonic() - started,
        "peak_rss_kb": usage.ru_maxrss,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "samples": samples,
        "output_tail": "".join(output)[-1500:],
    }
