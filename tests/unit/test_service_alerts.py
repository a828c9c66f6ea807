"""Service alerts: which tenants and questions an alert concerns, with a fixed clock
(the issue's "alert matching by area, service and time"), and what is kept of it."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.handoff.handoffs import Conversation, Reason
from bot.handoff.service import HandoffService
from bot.service_alerts.alerts import (
    InvalidAlert,
    ServiceAlert,
    area,
    areas_of,
    in_area,
    longest_wait,
    postcode_given,
    relevant,
    services_named,
    urgent,
)
from bot.service_alerts.store import ServiceAlerts, UnknownAlert
from bot.store import connect
from tests.helpers import CALENDAR, TEAMS, store_keys

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def alert(**changes):
    values = {
        "id": "a-1",
        "title": "No heating in LS6",
        "message": "A fault at the district boiler: engineers expect heating back by 6pm.",
        "services": ("heating",),
        "areas": ("LS6",),
        "starts_at": NOW - HOUR,
        "ends_at": NOW + 8 * HOUR,
        "created_by": "Sam",
        "created_at": NOW - 2 * HOUR,
    }
    values.update(changes)
    return ServiceAlert(**values)


@pytest.mark.parametrize(
    "text, expected",
    [("ls6", "LS6"), (" LS6 2 ", "LS6 2"), ("m14", "M14"), ("SW1A 1", "SW1A 1"), ("B15", "B15")],
)
def test_an_area_is_a_postcode_district_or_sector(text, expected):
    assert area(text) == expected


@pytest.mark.parametrize("text", ["LS6 2AB", "Leeds", "6", "LS", "LS6 22"])
def test_anything_else_is_refused_with_a_reason(text):
    with pytest.raises(InvalidAlert, match="postcode district"):
        area(text)


def test_areas_are_a_list_and_empty_is_everywhere():
    assert areas_of("LS6, ls7 1;M14") == ("LS6", "LS7 1", "M14")
    assert areas_of("") == () and areas_of("everywhere") == ()


@pytest.mark.parametrize(
    "postcode, areas, expected",
    [
        ("LS6 2AB", ("LS6",), True),
        ("ls62ab", ("LS6",), True),
        ("LS6 2AB", ("LS6 2",), True),
        ("LS6 3AB", ("LS6 2",), False),
        ("LS61 2AB", ("LS6",), False),  # another district that begins the same
        ("M14 5RT", ("LS6",), False),
        ("M14 5RT", (), True),  # everywhere
        (None, ("LS6",), False),  # unknown: never outside its area
        (None, (), True),
        ("not a postcode", ("LS6",), False),
    ],
)
def test_a_tenant_is_in_an_area_by_their_postcode(postcode, areas, expected):
    assert in_area(postcode, areas) is expected


@pytest.mark.parametrize(
    "words, expected",
    [
        ("no heating since Monday", {"heating"}),
        ("the boiler keeps cutting out", {"heating"}),
        ("no hot water", {"heating", "water"}),
        ("leak under the sink", {"water"}),
        ("broken window latch", set()),
    ],
)
def test_a_repair_reports_words_name_its_service(words, expected):
    assert services_named(words) == expected


def test_an_alert_concerns_a_live_service_in_its_area_only():
    heating = alert()
    assert relevant([heating], NOW, {"heating"}, "LS6 2AB") == [heating]
    assert relevant([heating], NOW, {"heating"}, "M14 5RT") == []
    assert relevant([heating], NOW, {"water"}, "LS6 2AB") == []
    assert relevant([heating], NOW, {"heating"}, None) == []


def test_it_is_live_from_its_start_until_its_end_or_being_ended():
    heating = alert()
    assert not heating.live(heating.starts_at - timedelta(seconds=1))
    assert heating.live(heating.starts_at)
    assert not heating.live(heating.ends_at)  # ended: never mentioned again
    ended = alert(ended_at=NOW + HOUR)
    assert ended.live(NOW) and not ended.live(NOW + HOUR)
    assert relevant([ended], NOW + 2 * HOUR, {"heating"}, "LS6 2AB") == []


def test_the_most_recent_comes_first_and_urgent_ones_are_said_where_they_apply():
    older = alert(id="a-1", starts_at=NOW - 3 * HOUR)
    newer = alert(id="a-2", starts_at=NOW - HOUR, urgent=True, areas=())
    local = alert(id="a-3", urgent=True)
    assert [a.id for a in relevant([older, newer], NOW, {"heating"}, "LS6 2AB")] == [
        "a-2",
        "a-1",
    ]
    assert urgent([older, newer, local], NOW, None) == [newer]  # area unknown: everywhere only
    assert {a.id for a in urgent([older, newer, local], NOW, "LS6 2AB")} == {"a-2", "a-3"}


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"title": ""}, "title"),
        ({"message": "x" * 501}, "message"),
        ({"services": ()}, "services"),
        ({"services": ("gas",)}, "services"),
        ({"ends_at": NOW - 2 * HOUR}, "end after it starts"),
        ({"reply_within_hours": 0}, "wait"),
    ],
)
def test_an_alert_that_cannot_be_said_is_refused(changes, problem):
    with pytest.raises(InvalidAlert, match=problem):
        alert(**changes)


def test_alerts_are_kept_ended_and_listed(tmp_path):
    alerts = ServiceAlerts(connect(f"sqlite:///{tmp_path / 's.db'}", store_keys()))
    live = alerts.add(alert(id="live", urgent=True, reply_within_hours=24))
    coming = alerts.add(alert(id="coming", starts_at=NOW + HOUR, areas=("LS6 2", "M14")))
    over = alerts.add(alert(id="over", starts_at=NOW - 5 * HOUR, ends_at=NOW - HOUR))
    assert alerts.get("live") == live
    assert [a.id for a in alerts.current(NOW)] == ["live", "coming"]
    assert alerts.get("coming").areas == ("LS6 2", "M14")
    assert [a.id for a in alerts.past(NOW)] == [over.id]
    ended = alerts.end("live", NOW)
    assert ended.ended_at == NOW and not ended.live(NOW)
    assert [a.id for a in alerts.current(NOW)] == [coming.id]
    alerts.published("coming", ["facebook", "twitter"], NOW)
    assert alerts.get("coming").platforms == ("facebook", "twitter")
    with pytest.raises(UnknownAlert):
        alerts.get("none")


@pytest.mark.parametrize(
    "text, postcode",
    [
        ("no heating at 14 Elm Road, LS6 2AB", "LS6 2AB"),
        ("moved from M14 5RT to ls62ab", "ls62ab"),
        ("no heating", None),
        (None, None),
    ],
)
def test_a_postcode_the_tenant_wrote_places_them(text, postcode):
    assert postcode_given(text) == postcode


def test_the_longest_wait_staff_set_for_a_live_alert_counts():
    assert longest_wait([alert()], NOW) is None
    waits = [alert(id="a", reply_within_hours=8), alert(id="b", reply_within_hours=24)]
    assert longest_wait(waits, NOW) == timedelta(hours=24)
    ended = [alert(reply_within_hours=24, ended_at=NOW - HOUR)]
    assert longest_wait(ended, NOW) is None


def test_a_handoff_opened_during_an_alert_is_due_as_staff_said_but_an_emergency_is_not(
    tmp_path,
):
    engine = connect(f"sqlite:///{tmp_path / 's.db'}", store_keys())
    alerts = ServiceAlerts(engine)
    service = HandoffService(engine, CALENDAR, TEAMS, longer_wait=alerts.longer_wait)
    monday_10 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    person = service.open(Reason.REQUEST_HUMAN, Conversation("c-1", "facebook"), monday_10)
    assert person.reply_by == datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)  # 4 hours
    alerts.add(
        alert(
            starts_at=monday_10 - HOUR,
            ends_at=monday_10 + 8 * HOUR,
            created_at=monday_10 - HOUR,
            reply_within_hours=24,
        )
    )
    busy = service.open(Reason.REQUEST_HUMAN, Conversation("c-2", "facebook"), monday_10)
    assert busy.reply_by == monday_10 + timedelta(hours=24)
    emergency = service.open(Reason.EMERGENCY, Conversation("c-3", "facebook"), monday_10)
    assert emergency.reply_by == monday_10 + timedelta(hours=2)
