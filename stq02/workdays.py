"""Working days in Vietnam: weekends and the public holidays of the Labour Code
(from the ``holidays`` package), corrected by an administrator's calendar days
(swapped working days, days off announced late).

Deadlines counted in working days use ``add_working_days``; those counted in
calendar days use ``add_days``, which moves an end that falls on a day off to
the next working day, as the Civil Code does.
"""

import datetime as dt
from functools import lru_cache

import holidays
from django.db.models.signals import post_delete, post_save


@lru_cache(maxsize=64)
def _package_holidays(year: int) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("VN", years=year, language="vi"))


@lru_cache(maxsize=64)
def _corrections(year: int) -> dict[dt.date, tuple[str, str]]:
    from stq02.models import CalendarDay

    return {day.date: (day.kind, day.name) for day in CalendarDay.objects.filter(date__year=year)}


def clear_cache(**_kwargs) -> None:
    _corrections.cache_clear()


def connect_cache_invalidation() -> None:
    from stq02.models import CalendarDay

    post_save.connect(clear_cache, sender=CalendarDay, dispatch_uid="workdays-save")
    post_delete.connect(clear_cache, sender=CalendarDay, dispatch_uid="workdays-delete")


def day_off_reason(day: dt.date) -> str | None:
    """Why ``day`` is not a working day, or None when it is one."""
    correction = _corrections(day.year).get(day)
    if correction:
        kind, name = correction
        return None if kind == "working" else name
    if day in _package_holidays(day.year):
        return _package_holidays(day.year)[day]
    if day.weekday() >= 5:
        return "Thứ Bảy" if day.weekday() == 5 else "Chủ Nhật"
    return None


def is_working_day(day: dt.date) -> bool:
    return day_off_reason(day) is None


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself when it is a working day, else the first one after it."""
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def add_working_days(start: dt.date, count: int) -> dt.date:
    """The date ``count`` working days after ``start`` (``start`` not counted).
    A negative count goes back in time."""
    step = dt.timedelta(days=1 if count >= 0 else -1)
    day = start
    remaining = abs(count)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def add_days(start: dt.date, count: int) -> dt.date:
    """Calendar days; an end on a day off moves to the next working day."""
    return next_working_day(start + dt.timedelta(days=count))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    if end <= start:
        return -working_days_between(end, start) if end < start else 0
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
