"""Properties of the business clock over random working periods and irregular calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kesu.workcal.arithmetic import SHANGHAI, BusinessClock, ContinuousClock

# Per test, not a global profile: other test modules keep their own settings.
examples = settings(max_examples=150, deadline=None)

MAX_SECONDS = 15 * 8 * 3600  # about three working weeks


def irregular(salt: int):
    """Mon–Fri, with some weekdays off (holidays) and some weekend days worked (调休)."""

    def is_working_day(day: date) -> bool:
        swapped = (day.toordinal() * 7 + salt) % 11 == 0
        return (day.weekday() < 5) != swapped

    return is_working_day


@st.composite
def clocks(draw) -> BusinessClock:
    # 1 to 3 periods within the day; a gap of 0 makes touching periods (9-12, 12-18).
    periods = []
    cursor = draw(st.integers(0, 12 * 60))
    for _ in range(draw(st.integers(1, 3))):
        end = min(cursor + draw(st.integers(1, 6 * 60)), 23 * 60 + 59)
        if end <= cursor:
            break
        periods.append((time(*divmod(cursor, 60)), time(*divmod(end, 60))))
        cursor = end + draw(st.integers(0, 120))
    return BusinessClock(periods=tuple(periods), is_working_day=irregular(draw(st.integers(0, 10))))


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
whole_second_instants = instants.map(lambda moment: moment.replace(microsecond=0))
durations = st.integers(0, MAX_SECONDS)


@st.composite
def working_instants(draw, clock: BusinessClock) -> datetime:
    """An instant inside working time: a working day, then an offset into its periods."""
    day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)))
    while not clock.is_working_day(day):
        day += timedelta(days=1)
    start, end = draw(st.sampled_from(clock.periods))
    length = (datetime.combine(day, end) - datetime.combine(day, start)).total_seconds()
    offset = draw(st.integers(0, int(length) - 1))
    return datetime.combine(day, start, tzinfo=SHANGHAI) + timedelta(seconds=offset)


@examples
@given(clocks(), instants, durations)
def test_between_undoes_add(clock, start, seconds):
    due = clock.add(start, seconds)
    assert due >= start
    assert due.tzinfo == SHANGHAI
    assert clock.between(start, due) == seconds


@examples
@given(clocks(), instants, durations, durations)
def test_add_is_monotonic_in_seconds(clock, start, s1, s2):
    low, high = sorted((s1, s2))
    assert clock.add(start, low) <= clock.add(start, high)


@examples
@given(clocks(), instants, instants, durations)
def test_add_is_monotonic_in_start(clock, t1, t2, seconds):
    early, late = sorted((t1, t2))
    assert clock.add(early, seconds) <= clock.add(late, seconds)


@examples
@given(clocks(), instants, st.integers(1, MAX_SECONDS))
def test_outside_working_time_counts_from_the_next_period(clock, start, seconds):
    nxt = clock.next_working_instant(start)
    assert nxt >= start
    assert clock.is_working_time(nxt)
    assert clock.between(start, nxt) == 0
    assert clock.add(start, seconds) == clock.add(nxt, seconds)


@examples
@given(clocks(), instants, instants)
def test_between_is_antisymmetric_and_bounded_by_elapsed_time(clock, a, b):
    assert clock.between(a, b) == -clock.between(b, a)
    early, late = sorted((a, b))
    assert 0 <= clock.between(early, late) <= (late - early).total_seconds()


@examples
@given(clocks(), whole_second_instants, whole_second_instants, whole_second_instants)
def test_between_is_additive(clock, a, b, c):
    a, b, c = sorted((a, b, c))
    assert clock.between(a, c) == clock.between(a, b) + clock.between(b, c)


@examples
@given(st.data(), clocks(), durations, durations)
def test_add_is_additive_from_working_time(data, clock, s1, s2):
    start = data.draw(working_instants(clock))
    assert clock.is_working_time(start)
    assert clock.add(clock.add(start, s1), s2) == clock.add(start, s1 + s2)


@examples
@given(instants, st.integers(0, 10**8))
def test_continuous_clock_round_trip(start, seconds):
    clock = ContinuousClock()
    assert clock.between(start, clock.add(start, seconds)) == seconds
