import datetime as dt

import pytest

from stq02 import workdays
from stq02.models import CalendarDay

D = dt.date


@pytest.mark.django_db
class TestWorkingDays:
    def test_weekend_and_tet_2026_are_days_off(self):
        # Tết Bính Ngọ: 17 February 2026 is lunar new year's day.
        assert not workdays.is_working_day(D(2026, 2, 17))
        assert not workdays.is_working_day(D(2026, 2, 21))  # a Saturday
        assert workdays.is_working_day(D(2026, 2, 11))  # an ordinary Wednesday

    def test_counting_over_tet(self):
        # Friday 13 Feb 2026 + 1 working day jumps the Tết holiday week.
        after = workdays.add_working_days(D(2026, 2, 13), 1)
        assert after > D(2026, 2, 20)
        assert workdays.is_working_day(after)
        assert workdays.working_days_between(D(2026, 2, 13), after) == 1

    def test_swapped_saturday_becomes_a_working_day(self):
        saturday = D(2026, 5, 9)
        assert not workdays.is_working_day(saturday)
        CalendarDay.objects.create(date=saturday, kind=CalendarDay.Kind.WORKING, name="Làm bù")
        assert workdays.is_working_day(saturday)
        assert workdays.add_working_days(D(2026, 5, 8), 1) == saturday

    def test_admin_added_day_off(self):
        day = D(2026, 6, 10)
        CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY, name="Nghỉ bổ sung")
        assert workdays.day_off_reason(day) == "Nghỉ bổ sung"

    def test_calendar_days_end_on_a_day_off_roll_forward(self):
        # 15 days after 22 April 2026 is Thursday 7 May: a working day, unchanged.
        assert workdays.add_days(D(2026, 4, 22), 15) == D(2026, 5, 7)
        # 30 April (a holiday) rolls to the next working day.
        rolled = workdays.add_days(D(2026, 4, 20), 10)
        assert rolled > D(2026, 4, 30) and workdays.is_working_day(rolled)

    def test_negative_counts_go_back(self):
        assert workdays.add_working_days(D(2026, 3, 9), -1) == D(2026, 3, 6)
