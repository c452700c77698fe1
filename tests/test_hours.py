"""Support hours in business time: next opening, reply-by, DST, holidays, weekends, and
the acknowledgement and auto-reply values computed from them."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import tplkit
from tplkit.hours import SupportHours

FIX = Path(__file__).parent / "fixtures" / "hours"
BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")


def flat(text: str) -> str:
    """Text with CLDR's no-break spaces as plain spaces and line breaks joined."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


@pytest.fixture
def hours() -> SupportHours:
    """Berlin, Monday to Friday 9-18, Christmas yearly, Good Friday 2026 once."""
    return SupportHours(days="mon-fri", open="09:00", close="18:00", timezone="Europe/Berlin",
                        holidays=["12-24", "12-25", "12-26", "2026-04-03"],
                        response_hours={"general": 24, "returns": 48, "urgent": 4})


def test_friday_evening_opens_monday_morning(hours):
    """A message on Friday evening: the team is back on Monday at opening time."""
    assert hours.next_opening(berlin(2026, 11, 20, 19, 12)) == berlin(2026, 11, 23, 9, 0)


def test_next_opening_while_open_is_now(hours):
    """During opening hours the next opening is the moment itself."""
    now = berlin(2026, 11, 24, 10, 30)
    assert hours.next_opening(now) == now and hours.is_open(now)
    assert not hours.is_open(berlin(2026, 11, 24, 18, 0))   # closing time is closed


def test_before_opening_same_day(hours):
    """Early on a working day: the team opens later that day."""
    assert hours.next_opening(berlin(2026, 11, 24, 6, 0)) == berlin(2026, 11, 24, 9, 0)


def test_urgent_request_friday_evening_due_monday_midday(hours):
    """4 business hours from Friday 19:00 end on Monday at 13:00, not on Saturday."""
    assert hours.reply_by(berlin(2026, 11, 20, 19, 0), "urgent") == berlin(2026, 11, 23, 13, 0)


def test_general_promise_counts_only_business_hours(hours):
    """24 business hours of 9-hour days from Friday 19:00: Monday 9 + Tuesday 9 + 6 on Wednesday."""
    assert hours.reply_by(berlin(2026, 11, 20, 19, 0)) == berlin(2026, 11, 25, 15, 0)
    assert hours.reply_by(berlin(2026, 11, 20, 19, 0), "general") == berlin(2026, 11, 25, 15, 0)


def test_promise_spills_into_next_day(hours):
    """4 hours from Tuesday 16:00: 2 hours on Tuesday, 2 on Wednesday morning."""
    assert hours.reply_by(berlin(2026, 11, 24, 16, 0), "urgent") == berlin(2026, 11, 25, 11, 0)
    assert hours.reply_by(berlin(2026, 11, 24, 10, 0), "urgent") == berlin(2026, 11, 24, 14, 0)


def test_yearly_and_fixed_holidays_are_skipped(hours):
    """Christmas Eve to Boxing Day (yearly) and Good Friday 2026 (a date) do not count."""
    # Wednesday 23 December 17:30: half an hour, then 24-27 closed, Monday 28 from 9:00
    assert hours.reply_by(berlin(2026, 12, 23, 17, 30), "urgent") == berlin(2026, 12, 28, 12, 30)
    assert hours.next_opening(berlin(2027, 12, 23, 19, 0)) == berlin(2027, 12, 27, 9, 0)
    assert hours.next_opening(berlin(2026, 4, 2, 19, 0)) == berlin(2026, 4, 6, 9, 0)
    assert hours.next_opening(berlin(2027, 4, 1, 19, 0)) == berlin(2027, 4, 2, 9, 0)  # once only


def test_berlin_spring_forward_keeps_local_opening_hours(hours):
    """Across 29 March 2026 (CET -> CEST) Monday still opens at 9:00 local, now UTC+2."""
    due = hours.reply_by(berlin(2026, 3, 27, 17, 0), "urgent")
    assert due == berlin(2026, 3, 30, 12, 0)
    assert due.utcoffset() == dt.timedelta(hours=2)
    assert due.astimezone(dt.UTC) == dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC)


def test_berlin_fall_back_keeps_local_opening_hours(hours):
    """Across 25 October 2026 (CEST -> CET) Monday opens at 9:00 local, now UTC+1."""
    due = hours.reply_by(berlin(2026, 10, 23, 17, 0), "urgent")
    assert due == berlin(2026, 10, 26, 12, 0) and due.utcoffset() == dt.timedelta(hours=1)


def test_new_york_spring_forward_night_is_one_hour_short():
    """Open 01:00-04:00 on 8 March 2026, when 2:00 jumps to 3:00: only 2 real hours that night."""
    night = SupportHours(days="mon-sun", open="01:00", close="04:00", timezone="America/New_York",
                         response_hours={"general": 3})
    assert night.add_business_time(ny(2026, 3, 8, 1, 0), dt.timedelta(hours=2)) == ny(2026, 3, 8, 4, 0)
    # the third hour is on Monday night, 01:00-02:00 EDT
    assert night.reply_by(ny(2026, 3, 8, 1, 0)) == ny(2026, 3, 9, 2, 0)


def test_new_york_fall_back_night_is_one_hour_long():
    """Open 01:00-04:00 on 1 November 2026, when 2:00 falls back to 1:00: 4 real hours."""
    night = SupportHours(days="mon-sun", open="01:00", close="04:00", timezone="America/New_York",
                         response_hours={"general": 4})
    due = night.reply_by(ny(2026, 11, 1, 1, 0))
    assert due == ny(2026, 11, 1, 4, 0) and due.utcoffset() == dt.timedelta(hours=-5)


def test_reply_by_in_the_customer_time_zone(hours):
    """The same instant, shown in the customer's zone (New York is 6 hours behind Berlin)."""
    due = hours.reply_by(berlin(2026, 11, 20, 19, 0), "urgent", tz="America/New_York")
    assert due == berlin(2026, 11, 23, 13, 0)
    assert (due.hour, due.tzinfo) == (7, NY)


def test_received_at_in_another_zone(hours):
    """A UTC timestamp at 17:30Z on a winter Friday is 18:30 in Berlin: already closed."""
    received = dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC)
    assert hours.next_opening(received) == berlin(2026, 11, 23, 9, 0)


def test_wrapping_week_sunday_to_thursday():
    """days = "sun-thu" (a Middle-Eastern week) wraps around the end of the list."""
    week = SupportHours(days="sun-thu", timezone="Asia/Dubai")
    assert sorted(week.weekdays) == [0, 1, 2, 3, 6]


def test_naive_datetime_refused(hours):
    """A datetime without a zone is ambiguous and refused."""
    with pytest.raises(ValueError, match="without a time zone"):
        hours.next_opening(dt.datetime(2026, 11, 20, 19, 0))


def test_unknown_category_names_the_known_ones(hours):
    """An unknown category says which ones exist."""
    with pytest.raises(ValueError,
                       match=r"unknown request category 'vip' \(one of general, returns, urgent\)"):
        hours.reply_by(berlin(2026, 11, 20, 19, 0), "vip")


def test_builtin_brand_support_hours():
    """The built-in brand: Berlin 9-18 on weekdays, 24 h general (sla_hours), 48 h returns, 4 h urgent."""
    sh = tplkit.Kit().support_hours
    assert sh.response_hours == {"general": 24, "returns": 48, "urgent": 4}
    assert sh.next_opening(berlin(2026, 12, 23, 18, 30)) == berlin(2026, 12, 28, 9, 0)


def test_project_support_hours_from_config(monkeypatch):
    """A project's tplkit.toml: New York, Monday to Saturday, July 4th yearly, Thanksgiving 2026."""
    sh = tplkit.Kit(FIX / "shop").support_hours
    assert sh.response_hours == {"general": 16, "urgent": 2}
    assert sh.next_opening(ny(2026, 11, 25, 17, 0)) == ny(2026, 11, 27, 8, 0)   # Thanksgiving
    assert sh.next_opening(ny(2026, 11, 28, 17, 0)) == ny(2026, 11, 30, 8, 0)   # Saturday open, Sunday not
    assert sh.next_opening(ny(2027, 7, 3, 17, 0)) == ny(2027, 7, 5, 8, 0)      # 4 July 2027: a Sunday anyway
    assert sh.next_opening(ny(2028, 7, 3, 17, 0)) == ny(2028, 7, 5, 8, 0)      # Tuesday 4 July 2028


def test_bad_holiday_is_a_config_error_with_its_line():
    """A holiday that is no date names the value, the file and the line (when the project
    loads, like every other setting)."""
    with pytest.raises(tplkit.ConfigError) as err:
        tplkit.Kit(FIX / "bad-holiday")
    assert "'Christmas' is neither a date (2026-04-03) nor a yearly day (12-25)" in str(err.value)
    assert err.value.file.endswith("bad-holiday/tplkit.toml") and err.value.line == 10


def test_general_in_response_hours_refused():
    """The general promise has one home, brand.sla_hours."""
    with pytest.raises(tplkit.ConfigError, match="the general promise is brand.sla_hours") as err:
        _ = tplkit.Kit(FIX / "general-twice").support_hours
    assert err.value.line == 8


# --- the templates --------------------------------------------------------------------------

ACK = {"customer_name": "Olena", "ticket_id": "SR-1", "request_url": "https://help.example/1"}


def test_acknowledgement_says_reply_by_in_business_time(kit):
    """received_at on a Friday evening: "We'll reply by" Monday 13:00 for an urgent request."""
    email = kit.render("acknowledgement", {**ACK, "received_at": "2026-11-20T19:12:00+01:00",
                                           "request_category": "urgent"})
    assert flat(email.preheader) == "We'll get back to you by Monday, November 23, 2026."
    assert "We'll reply by Monday, November 23, 2026 at 1:00 PM (Central European Time)." \
        in flat(email.text)
    assert "within" not in email.text.split("We answer")[0]


def test_acknowledgement_reply_by_in_customer_zone_and_locale(kit):
    """customer_timezone shows the due time in the customer's zone, named in their language."""
    email = kit.render("acknowledgement", {**ACK, "received_at": "2026-11-20T19:00:00+01:00",
                                           "request_category": "urgent",
                                           "customer_timezone": "America/New_York"}, locale="de")
    assert "spätestens am Montag, 23. November 2026 um 07:00 Uhr (EST)" \
        in flat(email.text)


def test_acknowledgement_category_sets_response_hours(kit):
    """Without received_at, the category still picks the promised hours (48 for returns)."""
    email = kit.render("acknowledgement", {**ACK, "request_category": "returns"})
    assert email.preheader == "We'll get back to you within 48 hours."
    email = kit.render("acknowledgement", ACK)
    assert email.preheader == "We'll get back to you within 24 hours."


def test_caller_values_win_over_computed(kit):
    """A reply_by or response_hours the caller passes is shown as given."""
    email = kit.render("acknowledgement", {**ACK, "received_at": "2026-11-20T19:00:00+01:00",
                                           "reply_by": "2026-11-21T10:00:00+01:00",
                                           "request_category": "returns", "response_hours": 2})
    assert flat(email.preheader) == "We'll get back to you by Saturday, November 21, 2026."


def test_unknown_category_is_a_placeholder_problem(kit):
    """A category the manifest does not list is reported with every other problem."""
    with pytest.raises(tplkit.PlaceholderError) as err:
        kit.render("acknowledgement", {**ACK, "request_category": "vip", "request_url": "ftp://x"})
    assert [(p.name, p.kind) for p in err.value.problems] == [("request_url", "invalid"),
                                                              ("request_category", "invalid")]


def test_category_missing_from_the_brand_is_a_placeholder_problem():
    """A listed category the project's brand does not promise names the brand's categories."""
    kit = tplkit.Kit(FIX / "shop")
    with pytest.raises(tplkit.PlaceholderError) as err:
        kit.render("acknowledgement", {**ACK, "request_category": "returns"})
    assert str(err.value.problems[0]) == ("request_category: unknown request category 'returns' "
                                          "(one of general, urgent)")


def test_unknown_customer_zone_falls_back_to_the_brand_zone(kit):
    """An unknown customer_timezone shows the due time in the brand's zone, named."""
    email = kit.render("acknowledgement", {**ACK, "received_at": "2026-11-20T19:00:00+01:00",
                                           "request_category": "urgent",
                                           "customer_timezone": "Mars/Olympus"})
    assert "by Monday, November 23, 2026 at 1:00 PM (Central European Time)" in flat(email.text)


def test_bad_received_at_reported_by_validation(kit):
    """An unreadable received_at is reported like any invalid value (not a crash)."""
    with pytest.raises(tplkit.PlaceholderError) as err:
        kit.render("acknowledgement", {**ACK, "received_at": "last friday"})
    assert [p.name for p in err.value.problems] == ["received_at"]


def test_auto_reply_back_at_computed_from_received_at(kit):
    """Without back_at, the auto-reply says when the team next opens (in the brand's zone)."""
    email = kit.render("auto-reply", {"received_at": "2026-12-23T20:00:00+01:00",
                                      "request_category": "urgent"})
    text = flat(email.text)
    assert "We'll be back on Monday, December 28, 2026 at 9:00 AM (Central European Time)." in text
    assert "within 4 hours of our return" in text


def test_auto_reply_back_at_defaults_to_now(kit):
    """Without back_at and received_at, the next opening after now is shown."""
    expected = kit.support_hours.next_opening()
    email = kit.render("auto-reply", {})
    from babel.dates import format_date

    assert flat(format_date(expected, "full", locale="en")) in flat(email.text)


def test_computed_values_equal_in_naive_pipeline(kit):
    """The naive pipeline (the oracle) computes the same reply_by and back_at."""
    ctx = {**ACK, "received_at": "2026-11-20T19:12:00+01:00", "request_category": "returns"}
    fast, naive = kit.render("acknowledgement", ctx, locale="uk"), \
        kit.render_naive("acknowledgement", ctx, locale="uk")
    assert flat(fast.text) == flat(naive.text) and "30 листопада 2026" in flat(fast.text)
    ctx = {"received_at": "2026-11-20T19:12:00+01:00"}
    assert kit.render("auto-reply", ctx).text.split() == kit.render_naive("auto-reply", ctx).text.split()


def test_from_build_computes_with_the_built_brand(tmp_path):
    """A kit loaded from a build folder has the brand's support hours and holidays too."""
    from tplkit.build import write_build

    kit = tplkit.Kit()
    write_build(kit, tmp_path / "build")
    built = tplkit.Kit.from_build(tmp_path / "build")
    email = built.render("auto-reply", {"received_at": "2026-12-23T20:00:00+01:00"}, locale="en")
    assert "Monday, December 28, 2026" in flat(email.text)
