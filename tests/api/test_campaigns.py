"""Campaign interfaces (V1): create, details, list, modify, pause, resume, delete."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from openisales.client import ISalesClient
from openisales.storage import campaigns as campaign_rows
from tests.conftest import Api, Clock

SUCCESS = "0200000"
ENVELOPE_KEYS = {"resultCode", "resultDesc", "returnCode", "returnDesc"}


def fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def campaign_body(clock: Clock, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "spring offer",
        "description": "calls about the spring offer",
        "strBeginTime": fmt(clock.now),
        "strEndTime": fmt(clock.now + timedelta(days=30)),
        "deviceType": 2,
        "callerNo": "10086",
        "maxAlertingTime": 30,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def assert_code(envelope: dict[str, Any], code: str) -> None:
    assert envelope["resultCode"] == envelope["returnCode"] == code, envelope
    assert envelope["resultDesc"] == envelope["returnDesc"]
    if code != SUCCESS:
        assert set(envelope) == ENVELOPE_KEYS, envelope
        assert envelope["resultDesc"].strip()


def create(isales: ISalesClient, clock: Clock, **overrides: Any) -> dict[str, Any]:
    return isales.create_campaign(**campaign_body(clock, **overrides))


def create_ok(isales: ISalesClient, clock: Clock, **overrides: Any) -> int:
    envelope = create(isales, clock, **overrides)
    assert_code(envelope, SUCCESS)
    campaign_id = envelope["returnObject"]["id"]
    assert isinstance(campaign_id, int)
    return campaign_id


def details(isales: ISalesClient, campaign_id: int) -> dict[str, Any]:
    envelope = isales.get_campaign(campaign_id)
    assert_code(envelope, SUCCESS)
    found: dict[str, Any] = envelope["returnObject"]
    return found


# -- create and read ---------------------------------------------------------------------------


def test_create_returns_the_id_and_get_returns_the_fields(
    isales: ISalesClient, clock: Clock
) -> None:
    body = campaign_body(clock)
    envelope = isales.create_campaign(**body)
    assert_code(envelope, SUCCESS)
    assert envelope["returnObject"] == {"id": 1}
    assert details(isales, 1) == {
        "campaignId": 1,
        "name": "spring offer",
        "description": "calls about the spring offer",
        "status": 2,
        "deviceType": 2,
        "strBeginTime": body["strBeginTime"],
        "strEndTime": body["strEndTime"],
        "callerNo": "10086",
        "maxAlertingTime": 30,
    }


def test_ids_are_numbered_per_tenant(api: Api, isales: ISalesClient, clock: Clock) -> None:
    assert create_ok(isales, clock, name="a") == 1
    assert create_ok(isales, clock, name="b") == 2
    with api.client(api.new_tenant(13)) as other:
        assert create_ok(other, clock, name="a") == 1  # same name, other tenant: fine
        assert create_ok(other, clock, name="c") == 2
        assert details(other, 1)["name"] == "a"
    assert create_ok(isales, clock, name="c") == 3
    assert [details(isales, n)["name"] for n in (1, 2, 3)] == ["a", "b", "c"]


def test_create_with_init_status_paused(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, initStatus=3)
    assert details(isales, campaign_id)["status"] == 3


def test_create_keeps_documented_fields_it_does_not_interpret(
    isales: ISalesClient, clock: Clock
) -> None:
    extra = {
        "callBackUrl": "https://crm.example.com/isales/callback",
        "skillParam": {"skillId": 7, "skillName": "sales", "predictParam": {"predictMethod": 1}},
        "scheduleParam": {"workdayBeginTime1": "09:00", "workdayEndTime1": "12:00"},
    }
    campaign_id = create_ok(isales, clock, **extra)
    found = details(isales, campaign_id)
    for key, value in extra.items():
        assert found[key] == value


def test_ivr_campaign_with_ivr_param(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, deviceType=1, ivrParam={"flowAccessCode": "1001"})
    found = details(isales, campaign_id)
    assert found["deviceType"] == 1 and found["ivrParam"] == {"flowAccessCode": "1001"}


# -- list --------------------------------------------------------------------------------------


def _names(envelope: dict[str, Any]) -> list[str]:
    assert_code(envelope, SUCCESS)
    return [row["name"] for row in envelope["returnObject"]["campaigns"]]


def test_list_filters_and_pages(isales: ISalesClient, clock: Clock) -> None:
    for name in ("alpha one", "alpha two", "beta", "gamma", "alpha_three"):
        create_ok(isales, clock, name=name)
    assert_code(isales.pause_campaign(3), SUCCESS)

    everything = isales.list_campaigns()
    assert everything["returnObject"]["total"] == 5
    assert _names(everything) == ["alpha one", "alpha two", "beta", "gamma", "alpha_three"]
    assert _names(isales.list_campaigns(name="alpha")) == ["alpha one", "alpha two", "alpha_three"]
    # "_" and "%" are matched literally, not as wildcards.
    assert _names(isales.list_campaigns(name="a_t")) == ["alpha_three"]
    assert _names(isales.list_campaigns(name="%")) == []
    assert _names(isales.list_campaigns(status=3)) == ["beta"]
    assert _names(isales.list_campaigns(status=2)) == [
        "alpha one",
        "alpha two",
        "gamma",
        "alpha_three",
    ]
    assert len(_names(isales.list_campaigns(status=0))) == 5
    assert _names(isales.list_campaigns(name="alpha", status=3)) == []

    page_1 = isales.list_campaigns(curPage=1, rowsPerPage=2)
    assert _names(page_1) == ["alpha one", "alpha two"]
    assert page_1["returnObject"]["total"] == 5
    assert page_1["returnObject"]["curPage"] == 1
    assert page_1["returnObject"]["rowsPerPage"] == 2
    assert _names(isales.list_campaigns(curPage=2, rowsPerPage=2)) == ["beta", "gamma"]
    assert _names(isales.list_campaigns(curPage=3, rowsPerPage=2)) == ["alpha_three"]
    beyond = isales.list_campaigns(curPage=4, rowsPerPage=2)
    assert _names(beyond) == [] and beyond["returnObject"]["total"] == 5


def test_list_filters_by_device_type(isales: ISalesClient, clock: Clock) -> None:
    create_ok(isales, clock, name="predictive")
    create_ok(isales, clock, name="preview", deviceType=5, maxAlertingTime=9)
    assert _names(isales.list_campaigns(deviceType=5)) == ["preview"]


def test_list_filters_by_begin_and_end_time(isales: ISalesClient, clock: Clock) -> None:
    day = timedelta(days=1)
    spans = {"early": (0, 10), "late": (5, 20), "long": (1, 40)}
    for name, (begin, end) in spans.items():
        create_ok(
            isales,
            clock,
            name=name,
            strBeginTime=fmt(clock.now + begin * day),
            strEndTime=fmt(clock.now + end * day),
        )
    assert _names(isales.list_campaigns(beginTime=fmt(clock.now + day))) == ["late", "long"]
    assert _names(isales.list_campaigns(endTime=fmt(clock.now + 20 * day))) == ["early", "late"]
    both = isales.list_campaigns(beginTime=fmt(clock.now + day), endTime=fmt(clock.now + 20 * day))
    assert _names(both) == ["late"] and both["returnObject"]["total"] == 1
    # the bounds are inclusive
    assert _names(isales.list_campaigns(beginTime=fmt(clock.now + 5 * day))) == ["late"]
    assert _names(isales.list_campaigns(beginTime=fmt(clock.now + 41 * day))) == []


def test_list_by_call_center(isales: ISalesClient, clock: Clock) -> None:
    create_ok(isales, clock, name="here")
    assert _names(isales.list_campaigns(ccId=1)) == ["here"]  # the service's one call center
    other = isales.list_campaigns(ccId=2)
    assert _names(other) == [] and other["returnObject"]["total"] == 0


def test_list_defaults_to_ten_rows(isales: ISalesClient, clock: Clock) -> None:
    for n in range(12):
        create_ok(isales, clock, name=f"c{n:02d}")
    envelope = isales.list_campaigns()
    assert len(_names(envelope)) == 10
    assert envelope["returnObject"]["rowsPerPage"] == 10
    assert envelope["returnObject"]["total"] == 12


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"rowsPerPage": 101}, "02000007"),
        ({"rowsPerPage": 0}, "02000007"),
        ({"curPage": 0}, "02000007"),
        ({"status": 5}, "02000007"),
        ({"status": 1}, "02000007"),  # not a documented filter value (0 all, 2, 3, 4)
        ({"deviceType": 4}, "02000007"),
        ({"beginTime": "2026-12-01"}, "02000006"),
        ({"endTime": "2026-02-30 00:00:00"}, "02000007"),
        ({"beginTime": "2026-12-02 00:00:00", "endTime": "2026-12-01 00:00:00"}, "02000009"),
        ({"ccId": -1}, "02000007"),
        ({"rowsPerPage": "many"}, "02000006"),
        ({"name": "n" * 101}, "02000003"),
    ],
)
def test_list_with_bad_parameters(isales: ISalesClient, params: dict[str, Any], code: str) -> None:
    envelope = isales.list_campaigns(**params)
    assert_code(envelope, code)
    assert next(iter(params)) in envelope["resultDesc"]


def test_list_shows_only_the_tenants_campaigns(
    api: Api, isales: ISalesClient, clock: Clock
) -> None:
    create_ok(isales, clock, name="mine")
    with api.client(api.new_tenant(13)) as other:
        create_ok(other, clock, name="theirs")
        assert _names(other.list_campaigns()) == ["theirs"]
    assert _names(isales.list_campaigns()) == ["mine"]


# -- modify ------------------------------------------------------------------------------------


def test_modify_changes_and_returns_fields(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, callBackUrl="https://a.example.com/cb")
    new_end = fmt(clock.now + timedelta(days=60))
    envelope = isales.modify_campaign(
        campaign_id,
        name="summer offer",
        description="now in summer",
        strEndTime=new_end,
        callerNo="95555",
        maxAlertingTime=45,
        callBackUrl="https://b.example.com/cb",
        skillParam={"skillId": 9, "skillName": "retention"},
    )
    assert_code(envelope, SUCCESS)
    returned = envelope["returnObject"]
    expected = {
        "campaignId": campaign_id,
        "name": "summer offer",
        "description": "now in summer",
        "strEndTime": new_end,
        "callerNo": "95555",
        "maxAlertingTime": 45,
        "callBackUrl": "https://b.example.com/cb",
        "skillParam": {"skillId": 9, "skillName": "retention"},
        "status": 2,
        "deviceType": 2,
    }
    for key, value in expected.items():
        assert returned[key] == value, key
    assert details(isales, campaign_id) == returned


def test_modify_keeps_fields_not_sent(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(
        isales, clock, callBackUrl="https://a.example.com/cb", skillParam={"skillId": 1}
    )
    before = details(isales, campaign_id)
    assert_code(isales.modify_campaign(campaign_id, description="changed"), SUCCESS)
    after = details(isales, campaign_id)
    assert after == {**before, "description": "changed"}


def test_modify_cannot_change_the_device_type(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock)
    assert_code(isales.modify_campaign(campaign_id, deviceType=5), "02000007")
    assert details(isales, campaign_id)["deviceType"] == 2


def test_modify_to_a_name_in_use_already_exists(isales: ISalesClient, clock: Clock) -> None:
    create_ok(isales, clock, name="first")
    second = create_ok(isales, clock, name="second")
    assert_code(isales.modify_campaign(second, name="first"), "0200109")
    assert_code(isales.modify_campaign(second, name="second"), SUCCESS)  # its own name is fine


def test_modify_validates(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"strEndTime": fmt(clock.now - timedelta(days=1))}, "02000009"),
        ({"strEndTime": "tomorrow"}, "02000006"),
        ({"description": "a<b"}, "02000002"),
        ({"maxAlertingTime": 121}, "02000007"),
        ({"scheduleParam": {"workdayBeginTime1": "9am", "workdayEndTime1": "12:00"}}, "02000006"),
    ]
    for change, code in cases:
        assert_code(isales.modify_campaign(campaign_id, **change), code)
    assert details(isales, campaign_id)["description"] == "calls about the spring offer"


def test_modify_of_an_unknown_campaign(isales: ISalesClient) -> None:
    assert_code(isales.modify_campaign(99, description="x"), "0200007")


# -- pause, resume, delete ---------------------------------------------------------------------


def test_lifecycle(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock)
    assert details(isales, campaign_id)["status"] == 2

    resumed_while_started = isales.resume_campaign(campaign_id)
    assert_code(resumed_while_started, "0200110")

    refused = isales.delete_campaign(campaign_id)
    assert_code(refused, "0200110")
    assert "started" in refused["resultDesc"]
    assert details(isales, campaign_id)["status"] == 2

    assert_code(isales.pause_campaign(campaign_id), SUCCESS)
    assert details(isales, campaign_id)["status"] == 3
    again = isales.pause_campaign(campaign_id)
    assert_code(again, "0200110")
    assert "paused" in again["resultDesc"]

    assert_code(isales.resume_campaign(campaign_id), SUCCESS)
    assert details(isales, campaign_id)["status"] == 2
    assert_code(isales.pause_campaign(campaign_id), SUCCESS)

    assert_code(isales.delete_campaign(campaign_id), SUCCESS)
    gone = isales.get_campaign(campaign_id)
    assert_code(gone, "0200007")
    assert_code(isales.delete_campaign(campaign_id), "0200007")
    assert_code(isales.pause_campaign(campaign_id), "0200007")
    assert_code(isales.resume_campaign(campaign_id), "0200007")
    assert isales.list_campaigns()["returnObject"]["total"] == 0


def _history(api: Api, table: str, vdn: int = 12) -> list[tuple[Any, ...]]:
    column = {"campaign_history": "name", "call_data_history": "session_id"}[table]
    where = {"campaign_history": "vdn_id = :vdn", "call_data_history": "1 = 1"}[table]
    with api.rt.db.read() as session:
        rows = session.execute(
            text(f"SELECT {column} FROM {table} WHERE {where} ORDER BY {column}"), {"vdn": vdn}
        )
        return [tuple(row) for row in rows]


def _add_records(isales: ISalesClient, campaign_id: int, *sessions: str) -> None:
    records = [{"sessionId": s, "called": f"1380000{n:04d}"} for n, s in enumerate(sessions)]
    answer = isales.call("POST", f"/calldata/{campaign_id}", json={"callDataList": records})
    assert_code(answer, SUCCESS)


@pytest.mark.parametrize("body", [None, 0])
def test_delete_without_archive_keeps_no_history(
    api: Api, isales: ISalesClient, clock: Clock, body: int | None
) -> None:
    campaign_id = create_ok(isales, clock, initStatus=3)
    _add_records(isales, campaign_id, "s1", "s2")
    assert_code(isales.delete_campaign(campaign_id, archive_history=body), SUCCESS)
    assert _history(api, "campaign_history") == []
    assert _history(api, "call_data_history") == []


def test_delete_with_archive_history_keeps_campaign_and_records(
    api: Api, isales: ISalesClient, clock: Clock
) -> None:
    campaign_id = create_ok(isales, clock, name="archived one", initStatus=3)
    kept = create_ok(isales, clock, name="kept", initStatus=3)
    _add_records(isales, campaign_id, "s1", "s2")
    _add_records(isales, kept, "k1")
    assert_code(isales.delete_campaign(campaign_id, archive_history=1), SUCCESS)

    assert_code(isales.get_campaign(campaign_id), "0200007")
    assert _history(api, "campaign_history") == [("archived one",)]
    assert _history(api, "call_data_history") == [("s1",), ("s2",)]
    with api.rt.db.read() as session:
        linked = session.execute(
            text(
                "SELECT count(*) FROM call_data_history d JOIN campaign_history c"
                " ON c.campaign_pk = d.campaign_pk WHERE c.campaign_id = :id"
            ),
            {"id": campaign_id},
        ).scalar_one()
        live = session.execute(text("SELECT session_id FROM call_data")).scalars().all()
    assert linked == 2
    assert live == ["k1"]  # the other campaign's records stay where they are
    # the name is free again, and the archived campaign's id is never handed out again
    assert create_ok(isales, clock, name="archived one") == kept + 1


@pytest.mark.parametrize(
    ("body", "code"),
    [({"archiveHistory": 2}, "02000007"), ({"archiveHistory": "yes"}, "02000006")],
)
def test_delete_with_bad_archive_history(
    api: Api, isales: ISalesClient, clock: Clock, body: dict[str, Any], code: str
) -> None:
    campaign_id = create_ok(isales, clock, initStatus=3)
    refused = isales.call("DELETE", f"/{campaign_id}", json=body)
    assert_code(refused, code)
    assert "archiveHistory" in refused["resultDesc"]
    assert details(isales, campaign_id)["status"] == 3  # nothing deleted


def test_archive_refused_for_a_started_campaign(
    api: Api, isales: ISalesClient, clock: Clock
) -> None:
    campaign_id = create_ok(isales, clock)
    assert_code(isales.delete_campaign(campaign_id, archive_history=1), "0200110")
    assert _history(api, "campaign_history") == []
    assert details(isales, campaign_id)["status"] == 2


def test_deleted_name_can_be_used_again(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, initStatus=3)
    assert_code(isales.delete_campaign(campaign_id), SUCCESS)
    again = create_ok(isales, clock, description="second life")
    found = details(isales, again)
    assert (found["name"], found["description"], found["status"]) == (
        "spring offer",
        "second life",
        2,
    )


# -- create validation -------------------------------------------------------------------------


def test_name_of_100_characters_is_accepted(isales: ISalesClient, clock: Clock) -> None:
    create_ok(isales, clock, name="n" * 100)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"name": "n" * 101}, "02000003", "name"),
        ({"name": ""}, "02000001", "name"),
        ({"description": "d" * 201}, "02000003", "description"),
        ({"description": "a < b"}, "02000002", "description"),
        ({"description": 'say "hi"'}, "02000002", "description"),
        ({"description": "x=1"}, "02000002", "description"),
        ({"strBeginTime": "2030/01/01 10:00:00"}, "02000006", "strBeginTime"),
        ({"strBeginTime": "2030-01-01T10:00:00"}, "02000006", "strBeginTime"),
        ({"strEndTime": "next week"}, "02000006", "strEndTime"),
        ({"strEndTime": "2099-02-30 10:00:00"}, "02000007", "strEndTime"),
        ({"deviceType": 4}, "02000007", "deviceType"),
        ({"deviceType": 7}, "02000007", "deviceType"),
        ({"deviceType": "predictive"}, "02000006", "deviceType"),
        ({"callerNo": "10086abc"}, "02000002", "callerNo"),
        ({"callerNo": "1" * 25}, "02000003", "callerNo"),
        ({"maxAlertingTime": 4}, "02000007", "maxAlertingTime"),
        ({"maxAlertingTime": 121}, "02000007", "maxAlertingTime"),
        ({"deviceType": 5, "maxAlertingTime": 8}, "02000007", "maxAlertingTime"),
        ({"initStatus": 4}, "02000007", "initStatus"),
        ({"deviceType": 1}, "02000001", "ivrParam"),
        ({"deviceType": 3, "ivrParam": {}}, "02000001", "ivrParam"),
        ({"scheduleParam": {"workdayBeginTime1": "25:00", "workdayEndTime1": "26:00"}},
         "02000006", "workdayBeginTime1"),
        ({"scheduleParam": {"holidayEndTime2": "9:5"}}, "02000006", "holidayEndTime2"),
        ({"scheduleParam": {"workdayBeginTime1": "09:00"}}, "02000009", "workdayEndTime1"),
        ({"scheduleParam": {"workdayBeginTime1": "12:00", "workdayEndTime1": "09:00"}},
         "02000009", "workdayBeginTime1"),
        ({"scheduleParam": "all day"}, "02000006", "scheduleParam"),
    ],
)  # fmt: skip
def test_create_validation(
    isales: ISalesClient, clock: Clock, overrides: dict[str, Any], code: str, field: str
) -> None:
    envelope = create(isales, clock, **overrides)
    assert_code(envelope, code)
    assert field in envelope["resultDesc"]
    assert isales.list_campaigns()["returnObject"]["total"] == 0


@pytest.mark.parametrize("field", ["name", "strBeginTime", "strEndTime", "deviceType"])
def test_create_requires(isales: ISalesClient, clock: Clock, field: str) -> None:
    body = campaign_body(clock)
    del body[field]
    envelope = isales.create_campaign(**body)
    assert_code(envelope, "02000001")
    assert field in envelope["resultDesc"]


def test_duplicate_name(isales: ISalesClient, clock: Clock) -> None:
    create_ok(isales, clock)
    envelope = create(isales, clock)
    assert_code(envelope, "0200109")
    assert "spring offer" in envelope["resultDesc"]


def test_begin_after_end(isales: ISalesClient, clock: Clock) -> None:
    envelope = create(
        isales,
        clock,
        strBeginTime=fmt(clock.now + timedelta(days=2)),
        strEndTime=fmt(clock.now + timedelta(days=1)),
    )
    assert_code(envelope, "02000009")


def test_begin_equal_to_end(isales: ISalesClient, clock: Clock) -> None:
    moment = fmt(clock.now + timedelta(days=1))
    assert_code(create(isales, clock, strBeginTime=moment, strEndTime=moment), "02000009")


def test_begin_earlier_than_today(isales: ISalesClient, clock: Clock) -> None:
    midnight = clock.now.replace(hour=0, minute=0, second=0)
    envelope = create(isales, clock, strBeginTime=fmt(midnight - timedelta(seconds=1)))
    assert_code(envelope, "02000007")
    assert "strBeginTime" in envelope["resultDesc"]
    create_ok(isales, clock, strBeginTime=fmt(midnight))  # today 00:00 is allowed


def test_alerting_time_8_is_fine_for_predictive_not_preview(
    isales: ISalesClient, clock: Clock
) -> None:
    assert_code(create(isales, clock, deviceType=5, maxAlertingTime=8), "02000007")
    create_ok(isales, clock, deviceType=5, maxAlertingTime=9, name="preview")
    campaign_id = create_ok(isales, clock, deviceType=2, maxAlertingTime=8, name="predictive")
    assert details(isales, campaign_id)["maxAlertingTime"] == 8


def test_unknown_fields_are_kept_not_refused(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, retryPolicy={"maxTimes": 3})
    assert details(isales, campaign_id)["retryPolicy"] == {"maxTimes": 3}


# -- completion ---------------------------------------------------------------------------------


def test_campaign_whose_end_passed_is_completed(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, strEndTime=fmt(clock.now + timedelta(hours=1)))
    other = create_ok(isales, clock, name="still running")
    clock.advance(hours=2)
    assert details(isales, campaign_id)["status"] == 4
    assert details(isales, other)["status"] == 2
    assert _names(isales.list_campaigns(status=4)) == ["spring offer"]
    assert _names(isales.list_campaigns(status=2)) == ["still running"]

    refused = isales.modify_campaign(
        campaign_id, strEndTime=fmt(clock.now + timedelta(days=1)), description="revive"
    )
    assert_code(refused, "0200110")
    assert "completed" in refused["resultDesc"]
    assert details(isales, campaign_id)["description"] == "calls about the spring offer"
    assert_code(isales.pause_campaign(campaign_id), "0200110")
    assert_code(isales.resume_campaign(campaign_id), "0200110")
    assert_code(isales.delete_campaign(campaign_id), SUCCESS)  # a completed one may go


def test_paused_campaign_whose_end_passed_is_completed(isales: ISalesClient, clock: Clock) -> None:
    campaign_id = create_ok(isales, clock, strEndTime=fmt(clock.now + timedelta(hours=1)))
    assert_code(isales.pause_campaign(campaign_id), SUCCESS)
    clock.advance(hours=2)
    assert details(isales, campaign_id)["status"] == 4
    assert _names(isales.list_campaigns(status=3)) == []
    assert_code(isales.resume_campaign(campaign_id), "0200110")


# -- tenant isolation --------------------------------------------------------------------------


def test_another_tenants_campaign_is_not_found(
    api: Api, isales: ISalesClient, clock: Clock
) -> None:
    with api.client(api.new_tenant(13)) as other:
        theirs = create_ok(other, clock, name="theirs", initStatus=3)
    assert theirs == 1
    for envelope in (
        isales.get_campaign(theirs),
        isales.modify_campaign(theirs, description="mine now"),
        isales.pause_campaign(theirs),
        isales.resume_campaign(theirs),
        isales.delete_campaign(theirs),
    ):
        assert_code(envelope, "0200007")
    with api.client(api.new_tenant(14)) as third:
        assert_code(third.get_campaign(theirs), "0200007")
    assert isales.list_campaigns()["returnObject"]["total"] == 0
    with api.rt.db.transaction() as session:
        row = session.execute(
            text("SELECT name, description, status FROM campaigns WHERE vdn_id = 13")
        ).one()
    assert tuple(row) == ("theirs", "calls about the spring offer", 3)


@pytest.mark.parametrize("campaign_id", ["abc", "1.5", "0", "2147483648"])
def test_campaign_id_in_path_that_names_no_campaign(isales: ISalesClient, campaign_id: str) -> None:
    # campaignId is a String (seed Table 4): text naming no campaign is one that does not exist
    envelope = isales.get_campaign(campaign_id)
    assert_code(envelope, "0200007")
    assert envelope["resultDesc"] == f"campaign {campaign_id!r} does not exist"


def test_duplicate_name_that_slips_past_the_check_is_still_already_exists(
    isales: ISalesClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Concurrent requests may both pass the look-up; the unique index decides, and the loser
    # gets the answer of a sequential duplicate, not an internal error.
    create_ok(isales, clock, name="first")
    second = create_ok(isales, clock, name="second")
    monkeypatch.setattr(campaign_rows, "name_taken", lambda *_args, **_kw: False)
    assert_code(create(isales, clock, name="first"), "0200109")
    assert_code(isales.modify_campaign(second, name="first"), "0200109")
    monkeypatch.undo()
    assert _names(isales.list_campaigns()) == ["first", "second"]


def test_campaign_ids_are_never_reused_after_a_delete(isales: ISalesClient) -> None:
    def create(name: str) -> int:
        answer = isales.create_campaign(
            name=name,
            deviceType=2,
            strBeginTime="2099-01-01 00:00:00",
            strEndTime="2099-12-31 00:00:00",
        )
        assert answer["resultCode"] == "0200000", answer
        return int(answer["returnObject"]["id"])

    first = create("first")
    assert isales.pause_campaign(first)["resultCode"] == "0200000"
    assert isales.delete_campaign(first)["resultCode"] == "0200000"
    second = create("second")
    assert second == first + 1
    assert isales.get_campaign(first)["resultCode"] == "0200007"


# -- the tenant's campaign limits (cec_07_0721) ---------------------------------------------------


def test_campaigns_of_one_kind_are_limited_per_tenant(
    api: Api, isales: ISalesClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.rt.settings, "max_campaigns_per_kind", 3)
    skill_queue = [
        create_ok(isales, clock, name="predictive", initStatus=3),
        create_ok(isales, clock, name="preview", deviceType=5, maxAlertingTime=9, initStatus=3),
        create_ok(isales, clock, name="preempted", deviceType=6, initStatus=3),
    ]
    refused = create(isales, clock, name="one more", initStatus=3)
    assert_code(refused, "0200122")
    assert "3 skill-queue" in refused["resultDesc"]
    # IVR campaigns are counted apart
    create_ok(isales, clock, name="ivr", deviceType=3, ivrParam={"flowAccessCode": "1"})
    # a deleted campaign frees its place; the refused one took no id
    assert_code(isales.delete_campaign(skill_queue[0]), SUCCESS)
    assert create_ok(isales, clock, name="one more", initStatus=3) == 5
    assert _names(isales.list_campaigns(name="one more")) == ["one more"]


def test_a_completed_campaign_does_not_count(
    api: Api, isales: ISalesClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.rt.settings, "max_campaigns_per_kind", 1)
    create_ok(isales, clock, strEndTime=fmt(clock.now + timedelta(days=1)))
    assert_code(create(isales, clock, name="second"), "0200122")
    clock.advance(days=2)  # the first has ended: completed
    create_ok(isales, clock, name="second")


def test_started_campaigns_of_one_type_are_limited(
    api: Api, isales: ISalesClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.rt.settings, "max_liveliest_task_count", 2)
    first = create_ok(isales, clock, name="first")
    create_ok(isales, clock, name="second")
    refused = create(isales, clock, name="third")
    assert_code(refused, "0200122")
    assert "2 started campaigns of deviceType 2" in refused["resultDesc"]
    v2_body = campaign_body(clock, name="third", callerNo=[{"accessCode": "10086", "priority": 1}])
    v2 = isales.call("POST", "", json=v2_body, version="v2")
    assert_code(v2, "0200122")
    third = create_ok(isales, clock, name="third", initStatus=3)  # paused: allowed
    assert_code(isales.resume_campaign(third), "0200122")
    assert details(isales, third)["status"] == 3
    create_ok(isales, clock, name="preview", deviceType=5, maxAlertingTime=9)  # another type
    assert_code(isales.pause_campaign(first), SUCCESS)
    assert_code(isales.resume_campaign(third), SUCCESS)
    assert_code(isales.resume_campaign(first), "0200122")
