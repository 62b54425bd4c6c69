"""The messages the service sends itself: sweep requests and their pages, and reconcile requests."""

from __future__ import annotations

import pytest
from logbaseline.engine.messages import SweepPage, reconcile_event, reconcile_scope, sweep_event
from logbaseline.engine.routing import RECONCILE_REQUEST, SWEEP_REQUEST, SWEEP_SOURCE, InvalidEvent

ACCOUNT, REGION = "111122223333", "eu-west-1"


def test_a_sweep_request_without_a_page_starts_at_the_first_finding():
    first = SweepPage.of(sweep_event(ACCOUNT, REGION))
    assert (first.control_id, first.offset) == ("", 0)
    assert SweepPage.of({"detail": {"page": None}}) == first
    assert all(first.includes(c) for c in ("a", "config_recorder_active", "z"))


def test_a_page_goes_on_from_its_control_and_offset():
    event = sweep_event(ACCOUNT, REGION, ["b", "c"], SweepPage("config_recorder_active", 100))
    assert event["detail"]["page"] == {"control_id": "config_recorder_active", "offset": 100}
    page = SweepPage.of(event)
    assert (page.control_id, page.offset) == ("config_recorder_active", 100)
    assert page.includes("config_recorder_active"), "its own control, from the offset on"
    assert page.includes("guardduty_enabled"), "the controls after it"
    assert not page.includes("cloudtrail_kms_encryption_enabled"), "the controls before it were published"
    assert SweepPage.of(sweep_event(ACCOUNT, REGION, [], SweepPage("config_recorder_active", 0))).offset == 0


def test_an_offset_without_a_control_means_nothing():
    assert SweepPage.of({"detail": {"page": {"offset": 7}}}) == SweepPage("", 0)


@pytest.mark.parametrize(
    "page",
    [
        {"control_id": 3, "offset": 0},
        {"control_id": "a", "offset": "1"},
        {"control_id": "a", "offset": 1.0},
        {"control_id": "a", "offset": True},
        {"control_id": "a", "offset": -1},
    ],
)
def test_a_page_that_is_not_a_control_and_a_non_negative_offset_is_refused(page):
    with pytest.raises(InvalidEvent, match="non-negative offset"):
        SweepPage.of({"detail": {"page": page}})


def test_a_sweep_request_is_the_services_own_eventbridge_event():
    event = sweep_event(ACCOUNT, REGION, ("guardduty_enabled",))
    assert (event["detail-type"], event["source"], event["account"], event["region"]) == (
        SWEEP_REQUEST,
        SWEEP_SOURCE,
        ACCOUNT,
        REGION,
    )
    assert event["detail"] == {"account_id": ACCOUNT, "region": REGION, "control_ids": ["guardduty_enabled"]}
    assert event["time"].endswith("Z") and event["id"] != sweep_event(ACCOUNT, REGION)["id"]


def test_a_reconcile_request_names_its_account_and_region():
    event = reconcile_event(ACCOUNT, REGION)
    assert event["detail-type"] == RECONCILE_REQUEST
    assert reconcile_scope(event) == (ACCOUNT, REGION)


@pytest.mark.parametrize(
    "detail",
    [
        None,
        "111122223333",
        {"region": REGION},
        {"account_id": ACCOUNT},
        {"account_id": "", "region": REGION},
        {"account_id": ACCOUNT, "region": ""},
        {"account_id": 111122223333, "region": REGION},
        {"account_id": ACCOUNT, "region": ["eu-west-1"]},
    ],
)
def test_a_reconcile_request_without_both_is_refused(detail):
    with pytest.raises(InvalidEvent, match="names detail.account_id and detail.region"):
        reconcile_scope({"detail": detail})


def test_a_page_that_names_its_control_without_an_offset_starts_at_that_controls_first_finding():
    assert SweepPage.of({"detail": {"page": {"control_id": "guardduty_enabled"}}}) == SweepPage("guardduty_enabled", 0)
