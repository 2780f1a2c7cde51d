"""Instants as people read them: « 24/11/2026 à 10:41 » in the reader's zone (Paris unless said otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models.moments import PARIS, moment_text

GUADELOUPE = ZoneInfo("America/Guadeloupe")
REUNION = ZoneInfo("Indian/Reunion")
NOUMEA = ZoneInfo("Pacific/Noumea")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_paris_is_the_default_zone():
    assert PARIS == ZoneInfo("Europe/Paris")
    assert moment_text(utc("2026-11-24 09:41")) == "24/11/2026 à 10:41"


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (PARIS, "24/11/2026 à 10:41"),  # UTC+1 in winter
        (GUADELOUPE, "24/11/2026 à 05:41"),  # UTC-4 all year
        (REUNION, "24/11/2026 à 13:41"),  # UTC+4 all year
        (NOUMEA, "24/11/2026 à 20:41"),  # UTC+11 all year
    ],
    ids=["paris", "guadeloupe", "reunion", "noumea"],
)
def test_one_instant_reads_in_each_readers_own_zone(zone, expected):
    assert moment_text(utc("2026-11-24 09:41:07"), zone) == expected


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        ("2026-11-24 23:30", NOUMEA, "25/11/2026 à 10:30"),  # already tomorrow in Nouméa
        ("2026-11-25 02:30", GUADELOUPE, "24/11/2026 à 22:30"),  # still yesterday in Guadeloupe
        ("2026-12-31 23:15", PARIS, "01/01/2027 à 00:15"),  # a new year in Paris
        ("2026-12-31 20:15", REUNION, "01/01/2027 à 00:15"),
    ],
)
def test_the_date_shown_is_the_readers_date_even_when_it_differs_from_utcs(instant, zone, expected):
    assert moment_text(utc(instant), zone) == expected


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-07-14 08:00", "14/07/2026 à 10:00"),  # summer time: UTC+2
        ("2026-01-15 08:00", "15/01/2026 à 09:00"),  # winter time: UTC+1
        # spring forward, Sunday 29 March 2026 at 01:00 UTC: 01:59 is followed by 03:00
        ("2026-03-29 00:59", "29/03/2026 à 01:59"),
        ("2026-03-29 01:00", "29/03/2026 à 03:00"),
        # fall back, Sunday 25 October 2026 at 01:00 UTC: 02:59 summer time is followed by 02:00 winter time
        ("2026-10-25 00:59", "25/10/2026 à 02:59"),
        ("2026-10-25 01:00", "25/10/2026 à 02:00"),
    ],
    ids=["summer", "winter", "before-spring-change", "after-spring-change", "before-autumn-change",
         "after-autumn-change"],
)
def test_paris_follows_daylight_saving_time_to_the_minute(instant, expected):
    assert moment_text(utc(instant)) == expected


def test_the_hour_repeated_in_autumn_reads_the_same_for_both_instants_of_it():
    first = utc("2026-10-25 00:30")  # 02:30 summer time
    second = first + timedelta(hours=1)  # 02:30 winter time
    assert moment_text(first) == moment_text(second) == "25/10/2026 à 02:30"


@pytest.mark.parametrize("zone", [GUADELOUPE, REUNION, NOUMEA], ids=["guadeloupe", "reunion", "noumea"])
def test_overseas_zones_keep_the_same_offset_when_paris_changes_its_clocks(zone):
    before, after = utc("2026-03-29 00:30"), utc("2026-03-29 01:30")
    shown = [datetime.strptime(moment_text(moment, zone), "%d/%m/%Y à %H:%M") for moment in (before, after)]
    assert shown[1] - shown[0] == timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [(PARIS, "24/11/2026 à 10:41:07"), (NOUMEA, "24/11/2026 à 20:41:07")],
)
def test_seconds_are_shown_when_asked(zone, expected):
    assert moment_text(utc("2026-11-24 09:41:07.900"), zone, seconds=True) == expected


def test_an_instant_given_in_another_zone_is_the_same_instant():
    in_noumea = datetime(2026, 11, 24, 20, 41, tzinfo=NOUMEA)
    fixed_offset = datetime(2026, 11, 24, 5, 41, tzinfo=timezone(timedelta(hours=-4)))
    assert moment_text(in_noumea) == moment_text(fixed_offset) == "24/11/2026 à 10:41"


def test_nothing_reads_as_an_empty_text():
    assert moment_text(None) == ""
    assert moment_text(None, NOUMEA, seconds=True) == ""


def test_a_moment_without_a_zone_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="timezone-aware"):
        moment_text(datetime(2026, 11, 24, 10, 41))
