"""When the time-limit warning comes and how much more time one request gives (webapp.domain.time_limit)."""

from datetime import datetime, timedelta

import pytest

from webapp.domain.time_limit import default_extension_minutes, extension_minutes, time_left, warning_seconds


@pytest.mark.parametrize(("limit", "seconds"), [(5, 60), (8, 96), (10, 120), (45, 120), (24 * 60, 120)])
def test_the_warning_comes_two_minutes_before_or_at_a_fifth_of_a_short_limit(limit, seconds):
    assert warning_seconds(limit) == seconds


@pytest.mark.parametrize(("limit", "minutes"), [(5, 5), (9, 5), (10, 5), (12, 6), (45, 22), (60, 30)])
def test_more_time_is_half_the_limit_and_at_least_five_minutes(limit, minutes):
    assert default_extension_minutes(limit) == minutes
    assert extension_minutes(limit, None) == minutes
    assert extension_minutes(limit, 3) == 3  # the study's own setting wins


def test_the_page_is_told_the_seconds_left_and_whether_to_warn():
    now = datetime(2026, 1, 1, 12, 0, 0)
    far = time_left(now + timedelta(minutes=30), now, 45, None, already_extended=False)
    near = time_left(now + timedelta(seconds=119.6), now, 45, None, already_extended=True)
    past = time_left(now - timedelta(seconds=5), now, 45, None, already_extended=False)
    assert (far.seconds, far.warning_due, far.can_extend) == (1800, False, True)
    assert (near.seconds, near.warning_due, near.can_extend) == (119, True, False)
    assert (past.seconds, past.warning_due) == (0, True)
