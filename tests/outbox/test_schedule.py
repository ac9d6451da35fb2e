"""Calendar schedules of the worker's periodic jobs: fire times in Asia/Shanghai, once per fire
time across workers, a missed fire served once on return, no run at first sight."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kesu.outbox.models import WorkerLease
from kesu.outbox.schedule import At, Every, ScheduleError, parse_schedule
from kesu.outbox.worker import JobRunner

SH = ZoneInfo("Asia/Shanghai")
THIS = __name__
runs: list[dt.datetime] = []


def monthly_job(*, now: dt.datetime) -> None:
    runs.append(now)


@pytest.fixture(autouse=True)
def _clear_runs():
    runs.clear()


def sh(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (60, Every(60.0)),
        ("300", Every(300.0)),
        ("daily 02:30", At("daily", 0, dt.time(2, 30))),
        ("Weekly MON 08:00", At("weekly", 0, dt.time(8, 0))),
        ("monthly 1 08:00", At("monthly", 1, dt.time(8, 0))),
    ],
)
def test_parse(spec, expected):
    assert parse_schedule(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        0,
        -5,
        "",
        "hourly",
        "daily 25:00",
        "daily 1 08:00",
        "weekly xyz 08:00",
        "monthly 31 08:00",
        "monthly 08:00",
        "monthly 0 08:00",
    ],
)
def test_bad_schedules_are_refused_with_the_reason(spec):
    with pytest.raises(ScheduleError):
        parse_schedule(spec)


def test_previous_fire_in_shanghai_time():
    monthly = parse_schedule("monthly 1 08:00")
    # 2026-11-01 00:30 UTC is 08:30 in Shanghai: the November fire has passed.
    assert monthly.previous_fire(dt.datetime(2026, 11, 1, 0, 30, tzinfo=dt.UTC)) == sh(
        "2026-11-01 08:00"
    )
    # 07:59 Shanghai on the 1st: still October's fire.
    assert monthly.previous_fire(sh("2026-11-01 07:59")) == sh("2026-10-01 08:00")
    # Across the new year.
    assert monthly.previous_fire(sh("2027-01-01 07:00")) == sh("2026-12-01 08:00")
    weekly = parse_schedule("weekly mon 08:00")
    assert weekly.previous_fire(sh("2026-11-23 08:00")) == sh("2026-11-23 08:00")  # a Monday
    assert weekly.previous_fire(sh("2026-11-23 07:00")) == sh("2026-11-16 08:00")
    daily = parse_schedule("daily 02:30")
    assert daily.previous_fire(sh("2026-11-23 02:29")) == sh("2026-11-22 02:30")


@given(
    spec=st.sampled_from(
        ["daily 02:30", "weekly wed 23:59", "monthly 28 00:00", "monthly 1 08:00"]
    ),
    now=st.datetimes(
        min_value=dt.datetime(2020, 1, 1),
        max_value=dt.datetime(2035, 12, 31),
        timezones=st.just(SH),
    ),
)
def test_previous_fire_is_the_latest_fire_not_after_now(spec, now):
    schedule = parse_schedule(spec)
    fire = schedule.previous_fire(now)
    assert fire <= now
    local = fire.astimezone(SH)
    assert local.time() == schedule.time
    if schedule.kind == "weekly":
        assert local.weekday() == schedule.day
    if schedule.kind == "monthly":
        assert local.day == schedule.day
    # Nothing fires between it and now: the next fire after it is later than now.
    step = {"daily": 1, "weekly": 7}.get(schedule.kind)
    if step:
        assert fire + dt.timedelta(days=step) > now
    else:
        month_later = (local.replace(day=1) + dt.timedelta(days=32)).replace(day=schedule.day)
        assert month_later > now


@pytest.mark.django_db
def test_monthly_job_runs_once_per_month_across_workers_and_not_at_first_sight():
    jobs = [(f"{THIS}.monthly_job", "monthly 1 08:00")]
    a, b = JobRunner(jobs, "a"), JobRunner(jobs, "b")
    # Installed mid-month: the job waits for the 1st.
    assert a.run_due(sh("2026-11-15 10:00")) == []
    assert b.run_due(sh("2026-11-30 23:59")) == []
    assert b.run_due(sh("2026-12-01 08:00")) == [f"{THIS}.monthly_job"]
    assert a.run_due(sh("2026-12-01 08:00")) == []
    assert a.run_due(sh("2026-12-20 08:00")) == []
    # Workers down from 12-31 to 02-03: January's and February's fires missed, one run on return.
    assert a.run_due(sh("2027-02-03 09:00")) == [f"{THIS}.monthly_job"]
    assert b.run_due(sh("2027-02-03 09:01")) == []
    assert runs == [sh("2026-12-01 08:00"), sh("2027-02-03 09:00")]
    assert WorkerLease.objects.get(name=f"{THIS}.monthly_job").last_run_at == sh("2027-02-03 09:00")


def test_a_bad_schedule_stops_the_worker_at_start():
    with pytest.raises(ScheduleError):
        JobRunner([(f"{THIS}.monthly_job", "monthly 31 08:00")], "a")


failures = {"left": 0}


def flaky_monthly_job(*, now: dt.datetime) -> None:
    if failures["left"] > 0:
        failures["left"] -= 1
        raise RuntimeError("the mail server is down")
    runs.append(now)


@pytest.mark.django_db
def test_a_failed_calendar_job_is_tried_again_after_a_pause_not_next_month(settings):
    settings.KESU_WORKER_JOB_RETRY_SECONDS = 300
    name = f"{THIS}.flaky_monthly_job"
    worker = JobRunner([(name, "monthly 1 08:00")], "a")
    assert worker.run_due(sh("2026-11-15 10:00")) == []  # first sight: waits for the 1st
    failures["left"] = 2
    assert worker.run_due(sh("2026-12-01 08:00")) == [name]  # fails
    lease = WorkerLease.objects.get(name=name)
    assert lease.last_run_at == sh("2026-11-15 10:00")  # the fire is still to be served
    assert lease.lease_until == sh("2026-12-01 08:05")  # … after the pause
    assert worker.run_due(sh("2026-12-01 08:04")) == []  # pausing
    assert worker.run_due(sh("2026-12-01 08:05")) == [name]  # fails again
    assert worker.run_due(sh("2026-12-01 08:10")) == [name]  # served
    assert runs == [sh("2026-12-01 08:10")]
    # Nothing more until January.
    assert worker.run_due(sh("2026-12-20 08:00")) == []
    assert worker.run_due(sh("2027-01-01 08:00")) == [name]
    assert runs == [sh("2026-12-01 08:10"), sh("2027-01-01 08:00")]


@pytest.mark.django_db
def test_a_failed_interval_job_simply_waits_for_its_next_interval():
    failures["left"] = 1
    name = f"{THIS}.flaky_monthly_job"
    worker = JobRunner([(name, 60)], "a")
    t0 = sh("2026-12-01 02:30")
    assert worker.run_due(t0) == [name]  # fails
    assert worker.run_due(t0 + dt.timedelta(seconds=59)) == []
    assert worker.run_due(t0 + dt.timedelta(seconds=60)) == [name]
    assert runs == [t0 + dt.timedelta(seconds=60)]
