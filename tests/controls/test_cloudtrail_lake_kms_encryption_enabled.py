"""cloudtrail_lake_kms_encryption_enabled: the verdicts and round trips on the emulator's event data stores (moto has
none: logbaseline/emulation/lake.py, docs/emulator-gaps.md)."""

from __future__ import annotations

import pytest
from logbaseline.controls.cloudtrail_lake_kms_encryption_enabled import CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = f"arn:aws:cloudtrail:{REGION}:123456789012:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
KEY = f"arn:aws:kms:{REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("key", "status", "phrase"),
    [
        (KEY, Status.PASSED, f"event data store org-audit-store encrypts its events with KMS key {KEY}"),
        ("alias/audit-lake", Status.PASSED, "with KMS key alias/audit-lake"),  # as the store was given it
        ("", Status.FAILED, "event data store org-audit-store is encrypted with a key AWS owns"),
    ],
)
def test_evaluate(key, status, phrase):
    verdict = CONTROL.evaluate(
        Resource("123456789012", REGION, ARN, {"name": "org-audit-store", "kms_key_id": key}), {}
    )
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix_because_a_key_once_set_is_for_life():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and not CONTROL.write_actions
    assert "can never be removed or changed" in CONTROL.fix_description


# --- round trips on the emulator's event data stores ------------------------------------


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def renamed(event, arn):
    """The sample event, naming the emulator's store (its ID is random)."""
    event["detail"]["responseElements"]["eventDataStoreArn"] = arn
    return event


def test_round_trip_a_store_without_a_key_then_given_one(aws, account_id):
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_event_data_store(Name="org-audit-store")["EventDataStoreArn"]
    service = make_service(account_id)
    report = service.evaluate_event(renamed(load_event("cloudtrail/cloudtrail-CreateEventDataStore.json"), arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"

    cloudtrail.update_event_data_store(EventDataStore=arn, KmsKeyId=KEY)  # a person's choice
    report = service.evaluate_event(renamed(load_event("cloudtrail/cloudtrail-UpdateEventDataStore.json"), arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"


def test_collect_every_store_of_the_region_or_the_one_named(aws, account_id):
    cloudtrail = aws("cloudtrail")
    plain = cloudtrail.create_event_data_store(Name="org-audit-store")["EventDataStoreArn"]
    keyed = cloudtrail.create_event_data_store(Name="keyed-store", KmsKeyId=KEY)["EventDataStoreArn"]
    found = {r.resource_id: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {plain: Status.FAILED, keyed: Status.PASSED}
    for name in (keyed, "keyed-store", keyed.rsplit("/", 1)[-1]):  # an event names it by ARN, name or ID
        assert [r.resource_id for r in CONTROL.collect(aws, Scope(account_id, REGION, name))] == [keyed]
    assert CONTROL.collect(aws, Scope(account_id, REGION, "no-such-store")) == []
