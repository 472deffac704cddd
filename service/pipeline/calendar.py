"""Sensitive periods (敏感时期) and deadline arithmetic on the Chinese calendar.

Fixed periods (两会, 国庆) and one-off dates come from rules/calendar.yaml.
春节 moves with the lunar calendar: its statutory holiday comes from
chinese-calendar where that library has the year's official schedule, and
from the lunar date (lunardate) otherwise, so the rule keeps working in
years the holiday office has not published yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar
from lunardate import LunarDate


@dataclass(frozen=True)
class Period:
    name: str
    start: dt.date
    end: dt.date


def spring_festival(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of the 春节 holiday in a Gregorian year."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    try:
        days = [
            new_year + dt.timedelta(days=offset)
            for offset in range(-3, 10)
            if chinese_calendar.get_holiday_detail(new_year + dt.timedelta(days=offset))[1]
            == chinese_calendar.Holiday.spring_festival.value
        ]
    except NotImplementedError:  # year not published in chinese-calendar
        days = []
    if days:
        return days[0], days[-1]
    return new_year - dt.timedelta(days=1), new_year + dt.timedelta(days=6)


class SensitiveCalendar:
    """Which sensitive period, if any, a date falls in."""

    def __init__(self, spec: dict):
        self._spec = spec

    def periods(self, year: int) -> list[Period]:
        found = []
        for item in self._spec.get("periods", []):
            if "lunar" in item:
                first, last = spring_festival(year)
                found.append(
                    Period(
                        item["name"],
                        first - dt.timedelta(days=item.get("days_before", 0)),
                        last + dt.timedelta(days=item.get("days_after", 0)),
                    )
                )
            elif "month_day" in item:
                start_m, start_d = map(int, item["month_day"]["from"].split("-"))
                end_m, end_d = map(int, item["month_day"]["to"].split("-"))
                found.append(Period(item["name"], dt.date(year, start_m, start_d), dt.date(year, end_m, end_d)))
            else:
                start = dt.date.fromisoformat(str(item["dates"]["from"]))
                end = dt.date.fromisoformat(str(item["dates"]["to"]))
                if start.year <= year <= end.year:
                    found.append(Period(item["name"], start, end))
        return found

    def period_on(self, day: dt.date) -> Period | None:
        for year in (day.year, day.year + 1):  # a 春节 window may start in the previous December
            for period in self.periods(year):
                if period.start <= day <= period.end:
                    return period
        return None


def deadline(start: dt.date, days: int) -> dt.date:
    """`days` calendar days after `start`; a deadline on a rest day (法定休假日, weekends
    included) moves to the next workday, as periods are counted in Chinese administrative law."""
    due = start + dt.timedelta(days=days)
    while not _is_workday(due):
        due += dt.timedelta(days=1)
    return due


def _is_workday(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # year not published: weekends only
        return day.weekday() < 5
