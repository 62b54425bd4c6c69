"""cloudtrail_lake_retention_bounded: the verdicts, the one UpdateEventDataStore a fix makes, and round trips on the
emulator's event data stores (moto has none: logbaseline/emulation/lake.py, docs/emulator-gaps.md)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from logbaseline import emulator
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.cloudtrail_lake_retention_bounded import CONTROL
from logbaseline.models import Resource, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = f"arn:aws:cloudtrail:{REGION}:123456789012:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
PARAMS = {"retention_floor_days": 365, "retention_ceiling_days": 2557}


def store(retention=400, protected=True, status="ENABLED", billing="EXTENDABLE_RETENTION_PRICING") -> Resource:
    state = {"name": "org-audit-store", "status": status, "retention_days": retention}
    state |= {"termination_protection": protected, "billing_mode": billing}
    return Resource("123456789012", REGION, ARN, state)


@pytest.mark.parametrize(
    ("resource", "status", "fixable", "phrase"),
    [
        (store(), Status.PASSED, False, "kept 400 days, within 365 to 2557; termination protection is on"),
        (store(365), Status.PASSED, False, "within"),
        (store(2557), Status.PASSED, False, "within"),
        (store(90), Status.FAILED, True, "kept 90 days, below the floor of 365"),
        (store(protected=False), Status.FAILED, True, "termination protection is off"),
        (store(90, protected=False), Status.FAILED, True, "deleted at once; events are kept 90 days"),
        (store(3653), Status.FAILED, False, "above the ceiling of 2557; shortening is left to a person"),
        (store(3653, protected=False), Status.FAILED, True, "above the ceiling"),
        (store(status="PENDING_DELETION"), Status.FAILED, False, "pending deletion"),
    ],
)
def test_evaluate(resource, status, fixable, phrase):
    verdict = CONTROL.evaluate(resource, PARAMS)
    assert (verdict.status, verdict.fixable) == (status, fixable) and phrase in verdict.reason


def test_a_fixed_pricing_store_cannot_be_raised_above_its_seven_years():
    resource, params = store(90, billing="FIXED_RETENTION_PRICING"), PARAMS | {"retention_floor_days": 3653}
    assert not CONTROL.evaluate(resource, params).fixable
    with pytest.raises(FixFailed, match="at most 2557 days"):
        CONTROL.remediate(Changes(Clients(REGION), dry_run=True), resource, params)


@pytest.mark.parametrize(
    ("billing", "most"), [("FIXED_RETENTION_PRICING", 2557), ("EXTENDABLE_RETENTION_PRICING", 3653), ("NEW_MODE", 2557)]
)
def test_a_store_is_raised_to_exactly_its_billing_modes_longest_retention_and_no_further(billing, most):
    """A billing mode AWS adds later is held to the shorter maximum: a raise it refuses is never attempted."""
    protected_short = store(90, billing=billing)
    for floor, fixable in ((most, True), (most + 1, False)):
        params = PARAMS | {"retention_floor_days": floor, "retention_ceiling_days": most + 1}
        assert CONTROL.evaluate(protected_short, params).fixable is fixable
        changes = Changes(Clients(REGION), dry_run=True)
        if fixable:
            CONTROL.remediate(changes, protected_short, params)
            assert changes.made[0].parameters == {"EventDataStore": ARN, "RetentionPeriod": most}
        else:
            with pytest.raises(FixFailed, match=f"keeps events at most {most} days"):
                CONTROL.remediate(changes, protected_short, params)


@pytest.mark.parametrize(
    ("resource", "update"),
    [
        (store(90), {"RetentionPeriod": 365}),
        (store(protected=False), {"TerminationProtectionEnabled": True}),
        (store(90, protected=False), {"RetentionPeriod": 365, "TerminationProtectionEnabled": True}),
        (store(3653, protected=False), {"TerminationProtectionEnabled": True}),  # never shortened
    ],
)
def test_remediate_raises_and_protects_in_one_call(resource, update):
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, resource, PARAMS)
    assert changes.made == [Change("cloudtrail", "update_event_data_store", REGION, {"EventDataStore": ARN} | update)]


@pytest.mark.parametrize("resource", [store(), store(3653), store(90, status="PENDING_DELETION")])
def test_remediate_refuses_what_it_must_not_touch(resource):
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match="refused"):
        CONTROL.remediate(changes, resource, PARAMS)
    assert changes.made == []


# --- round trips on the emulator's event data stores ---------------------------------------------


def seed_store(aws, **settings) -> str:
    return aws("cloudtrail").create_event_data_store(Name="org-audit-store", **settings)["EventDataStoreArn"]


def test_the_emulated_stores_refuse_what_aws_refuses(aws):
    cloudtrail = aws("cloudtrail")
    for settings, code in [
        ({"RetentionPeriod": 2600, "BillingMode": "FIXED_RETENTION_PRICING"}, "InvalidParameterException"),
        ({"Name": "bad name!"}, "InvalidParameterException"),
    ]:
        with pytest.raises(ClientError) as error:
            cloudtrail.create_event_data_store(**({"Name": "org-audit-store"} | settings))
        assert error.value.response["Error"]["Code"] == code
    arn = seed_store(aws)
    with pytest.raises(ClientError) as error:
        cloudtrail.update_event_data_store(EventDataStore=arn)
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"  # nothing to update
    with pytest.raises(ClientError) as error:
        cloudtrail.get_event_data_store(EventDataStore=arn.replace(arn[-8:], "00000000"))
    assert error.value.response["Error"]["Code"] == "EventDataStoreNotFoundException"
    defaults = cloudtrail.get_event_data_store(EventDataStore=arn.rsplit("/", 1)[-1])  # the ID alone names it too
    assert (defaults["RetentionPeriod"], defaults["TerminationProtectionEnabled"]) == (366, True)
    emulator.GATEWAY.lake.mark_pending_deletion(defaults["EventDataStoreArn"].split(":")[4], REGION, arn)
    with pytest.raises(ClientError) as error:
        cloudtrail.update_event_data_store(EventDataStore=arn, TerminationProtectionEnabled=True)
    assert error.value.response["Error"]["Code"] == "InactiveEventDataStoreException"


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def renamed(event, arn):
    """The sample event, naming the emulator's store (its ID is random)."""
    detail = event["detail"]
    detail["responseElements"]["eventDataStoreArn"] = arn
    return event


def test_round_trip_a_short_unprotected_store_is_raised_and_protected(aws, account_id):
    arn = seed_store(aws, RetentionPeriod=90, TerminationProtectionEnabled=False)
    service = service_with_queue(aws, account_id)
    report = service.evaluate_event(renamed(load_event("cloudtrail/cloudtrail-CreateEventDataStore.json"), arn))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert outcome.verdict.status is Status.FAILED and outcome.resource_id == arn
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"
    [request] = [r for r in report.fixes_requested if r.control_id == CONTROL.id]

    [fixed] = service.fix(request)
    assert fixed.fix["Outcome"] == "verified"
    after = aws("cloudtrail").get_event_data_store(EventDataStore=arn)
    assert (after["RetentionPeriod"], after["TerminationProtectionEnabled"]) == (365, True)
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"

    [again] = service.fix(request)
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(renamed(load_event("cloudtrail/cloudtrail-UpdateEventDataStore.json"), arn))
    assert [r for r in second.fixes_requested if r.control_id == CONTROL.id] == []
    assert aws("cloudtrail").get_event_data_store(EventDataStore=arn)["RetentionPeriod"] == 365


def test_round_trip_a_long_retention_is_never_shortened(aws, account_id):
    arn = seed_store(aws, RetentionPeriod=3653)
    service = service_with_queue(aws, account_id)
    report = service.evaluate_event(renamed(load_event("cloudtrail/cloudtrail-UpdateEventDataStore.json"), arn))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert outcome.verdict.status is Status.FAILED and not outcome.verdict.fixable
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []
    assert aws("cloudtrail").get_event_data_store(EventDataStore=arn)["RetentionPeriod"] == 3653
