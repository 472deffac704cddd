"""Sensitive periods (敏感时期) and workdays for deadlines, on the Chinese calendar.

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


class Workdays:
    """Which days are workdays, for deadlines counted as Chinese administrative law counts them.

    A year's official schedule (法定节假日 and 调休 make-up workdays) comes from
    rules/calendar.yaml when analysts entered it there (the State Council's notice
    is published each November; chinese-calendar releases follow later), else from
    chinese-calendar. A year with neither counts weekends only, and says so:
    `missing_years` is what /healthz, `rules check` and each decision warn about.
    """

    def __init__(self, holidays: list[dict]):
        self._years = {int(schedule["year"]) for schedule in holidays}
        self._rest = {day for schedule in holidays for span in schedule["rest"] for day in holiday_days(span)}
        self._work = {as_date(day) for schedule in holidays for day in schedule.get("work", [])}

    def is_workday(self, day: dt.date) -> bool:
        if day in self._rest or day in self._work:
            return day in self._work
        if day.year in self._years:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # year not published anywhere: weekends only
            return day.weekday() < 5

    def has_schedule(self, year: int) -> bool:
        return year in self._years or _library_knows(year)

    def missing_years(self, years) -> list[int]:
        return sorted({year for year in years if not self.has_schedule(year)})

    def deadline(self, start: dt.date, days: int) -> dt.date:
        """`days` calendar days after `start`; a deadline on a rest day (weekends included)
        moves to the next workday."""
        due = start + dt.timedelta(days=days)
        while not self.is_workday(due):
            due += dt.timedelta(days=1)
        return due


def missing_schedule_warning(years: list[int]) -> str:
    listed = "、".join(str(year) for year in years)
    return (f"no official holiday schedule for {listed}: deadlines there skip weekends only; "
            f"enter the State Council's notice under 'holidays' in calendar.yaml")


def as_date(value) -> dt.date:
    """A date as YAML gives it: a date already, or text in YYYY-MM-DD (ValueError otherwise)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def holiday_days(span: dict) -> list[dt.date]:
    start, end = as_date(span["from"]), as_date(span["to"])
    return [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True
