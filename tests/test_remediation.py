"""Which gaps are fixed, what a fix request must hold, and whose suppression counts (engine/remediation.py's
decisions that need no AWS call; the fixes themselves are tested with the emulator in test_approval.py,
test_history.py, test_exemptions.py and test_suppression.py)."""

from __future__ import annotations

import copy
import json
from dataclasses import asdict

import pytest
from logbaseline.controls import UnknownControl, load
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.exemptions import Ruling
from logbaseline.engine.remediation import (
    FixRequest,
    _account_of,
    _sets_suppressed,
    approved_fix_requests,
    fix_requests,
)
from logbaseline.engine.routing import InvalidEvent
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, failed, passed

from tests.conftest import load_event

RETENTION = load("logs_log_group_retention_bounded")
ACCOUNT, REGION = "111122223333", "eu-west-1"
ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app"
VALID = asdict(FixRequest(RETENTION.id, ACCOUNT, REGION, ARN, "event-1", "arn:aws:iam::111122223333:user/x"))


def gap(resource_id: str = ARN, verdict=None, exemption=None, account: str = ACCOUNT) -> Outcome:
    verdict = verdict or failed("never expires", fixable=True)
    return Outcome(
        RETENTION, account, REGION, resource_id, verdict, Resource(account, REGION, resource_id, {}), None, exemption
    )


def test_only_fixable_failures_that_are_not_exempt_and_not_off_are_asked_to_be_fixed():
    outcomes = [
        gap(f"{ARN}-fixable"),
        gap(f"{ARN}-passed", passed("365 days")),
        gap(f"{ARN}-unfixable", failed("needs a person", fixable=False)),
        gap(f"{ARN}-exempt", exemption=Ruling(True, "exempt until 2027-01-01: legacy")),
        gap(f"{ARN}-tag-ignored", exemption=Ruling(False, "tag ignored: expired")),
        gap(f"{ARN}-denied", account="444455556666"),
    ]
    settings = Settings(modes={RETENTION.id: Mode.DRY_RUN}, deny_accounts=frozenset({"444455556666"}))
    requests = fix_requests(outcomes, settings, "event-1", "someone")
    assert [(r.resource_id, r.trigger, r.actor) for r in requests] == [
        (f"{ARN}-fixable", "event-1", "someone"),
        (f"{ARN}-tag-ignored", "event-1", "someone"),
    ]
    assert not any(r.approved for r in requests), "only a person approves, through the custom action"
    assert fix_requests(outcomes, Settings(modes={RETENTION.id: Mode.OFF}), "event-1") == []


def test_a_fix_request_round_trips_through_its_message():
    request = FixRequest(**VALID)
    assert FixRequest.from_message(copy.deepcopy(VALID)) == request
    assert FixRequest.from_message(json.loads(request.to_message())) == request
    unsaid = {k: v for k, v in VALID.items() if k not in ("trigger", "actor", "approved")}
    assert FixRequest.from_message(unsaid) == FixRequest(**unsaid, trigger="", actor="", approved=False)
    assert not FixRequest.from_message(unsaid).approved, "a message that does not say approved is not"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"extra": "x"}, "not a fix request"),
        ({"control_id": ""}, "needs control_id, account_id, region and resource_id"),
        ({"account_id": 111122223333}, "needs control_id, account_id, region and resource_id"),
        ({"region": ""}, "needs control_id, account_id, region and resource_id"),
        ({"resource_id": None}, "needs control_id, account_id, region and resource_id"),
        ({"trigger": 1}, "trigger and actor are strings"),
        ({"actor": None}, "trigger and actor are strings"),
        ({"approved": "true"}, "approved is true or false"),
        ({"approved": 1}, "approved is true or false"),
    ],
)
def test_a_fix_request_that_is_not_one_is_refused_with_its_reason(change, reason):
    with pytest.raises(InvalidEvent, match=reason):
        FixRequest.from_message(VALID | change)


def test_a_fix_request_for_a_control_this_deployment_lacks_is_refused():
    with pytest.raises(UnknownControl):
        FixRequest.from_message(VALID | {"control_id": "no_such_control"})


def test_a_custom_action_asks_for_the_fixes_of_logbaselines_findings_only():
    event = load_event("securityhub/custom-action.json")
    [ours] = event["detail"]["findings"]
    event["detail"]["findings"] += [
        {"ProductFields": {}, "Id": "another product's finding"},
        {**ours, "Resources": []},
        {**ours, "Resources": None},
        {k: v for k, v in ours.items() if k != "AwsAccountId"},
    ]
    [request] = approved_fix_requests(event)
    event["detail"]["findings"].reverse()
    assert approved_fix_requests(event) == [request], "another product's finding first changes nothing"
    assert (request.trigger, request.actor, request.approved) == (event["id"], "Security Hub custom action", True)
    assert (request.account_id, request.region) == (ours["AwsAccountId"], ours["Resources"][0]["Region"])
    for detail in ({}, {"findings": {}}, "findings"):
        with pytest.raises(InvalidEvent, match="carries detail.findings"):
            approved_fix_requests({"detail": detail})


@pytest.mark.parametrize(
    ("identity", "account"),
    [
        ("111122223333", "111122223333"),
        ("11112222333", ""),  # 11 digits
        ("1111222233334", ""),  # 13 digits
        ("arn:aws:iam::111122223333:role/security-team", "111122223333"),
        ("arn:aws:sts::111122223333:assumed-role/team/alice", "111122223333"),
        ("arn:aws-us-gov:iam::444455556666:user/bob", "444455556666"),
        ("arn:aws:iam::111122223333", ""),  # no resource part: not an ARN
        ("urn:aws:iam::111122223333:role/x", ""),
        ("", ""),
    ],
)
def test_the_account_of_an_identity_is_read_from_a_whole_arn_or_a_bare_account_id(identity, account):
    assert _account_of(identity) == account


@pytest.mark.parametrize(
    ("record", "sets"),
    [
        ({"UpdateSource": {"Type": "BATCH_UPDATE_FINDINGS"}, "Updates": [
            {"UpdatedField": "Workflow.Status", "NewValue": "SUPPRESSED"}]}, True),
        ({"UpdateSource": {"Type": "BATCH_UPDATE_FINDINGS"}, "Updates": [
            {"UpdatedField": "Note", "NewValue": "SUPPRESSED"},
            {"UpdatedField": "Workflow", "NewValue": "NEW"}]}, False),
        ({"UpdateSource": {"Type": "BATCH_IMPORT_FINDINGS"}, "Updates": [
            {"UpdatedField": "Workflow.Status", "NewValue": "SUPPRESSED"}]}, False),
        ({"UpdateSource": {"Type": "BATCH_UPDATE_FINDINGS"}}, False),
        ({"Updates": [{"UpdatedField": "Workflow.Status", "NewValue": "SUPPRESSED"}]}, False),
    ],
)  # fmt: skip
def test_only_a_batch_update_that_sets_the_workflow_to_suppressed_counts_as_suppressing(record, sets):
    assert _sets_suppressed(record) is sets


def test_a_fix_that_fails_is_recorded_on_its_own_finding_with_the_changes_made_before_it_failed(
    aws, account_id, monkeypatch
):
    from dataclasses import replace

    from logbaseline.controls.base import FixFailed
    from logbaseline.engine import remediation
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    aws("logs").create_log_group(logGroupName="/app/failing-fix")
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/failing-fix"

    def half_done(changes, resource, params):
        changes.call("logs", "tag_log_group", logGroupName="/app/failing-fix", tags={"fix": "started"})
        raise FixFailed("the second step is refused")

    monkeypatch.setattr(remediation, "load", lambda control_id: replace(load(control_id), remediate=half_done))
    settings = Settings(modes={RETENTION.id: Mode.AUTO})
    [outcome] = apply_fix(FixRequest(RETENTION.id, account_id, REGION, arn, "event-9"), aws, settings)
    assert outcome.resource_id == arn
    assert (outcome.fix["Outcome"], outcome.fix["Error"], outcome.fix["Trigger"]) == (
        "failed",
        "the second step is refused",
        "event-9",
    )
    assert "tag_log_group" in outcome.fix["Changes"]


def test_a_failure_the_control_cannot_fix_is_left_as_it_is(aws, account_id, monkeypatch):
    from dataclasses import replace

    from logbaseline.engine import remediation
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    aws("logs").create_log_group(logGroupName="/app/unfixable")
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/unfixable"

    def must_not_run(changes, resource, params):
        raise AssertionError("a failure the control cannot fix was fixed")

    unfixable = replace(
        RETENTION, evaluate=lambda resource, params: failed("needs a person", fixable=False), remediate=must_not_run
    )
    monkeypatch.setattr(remediation, "load", lambda control_id: unfixable)
    [outcome] = apply_fix(FixRequest(RETENTION.id, account_id, REGION, arn, "event-10"), aws, Settings())
    assert outcome.fix is None and outcome.verdict.reason == "needs a person"


def test_the_suppression_history_read_is_the_one_the_exemptions_guide_states():
    import re

    from logbaseline.engine.remediation import HISTORY_DAYS

    from tests.conftest import ROOT

    guide = " ".join((ROOT / "docs" / "exemptions.md").read_text().split())
    stated = re.search(r"the finding's change records of the last (\d+) days: AWS keeps 90", guide)
    assert stated and HISTORY_DAYS == int(stated.group(1)) < 90


def test_a_control_in_off_mode_is_not_fixed_nor_marked_refused_unless_a_person_asked(aws, account_id):
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    aws("logs").create_log_group(logGroupName="/app/off")
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/off"
    [outcome] = apply_fix(
        FixRequest(RETENTION.id, account_id, REGION, arn, "event-11"), aws, Settings(modes={RETENTION.id: Mode.OFF})
    )
    assert outcome.fix is None and outcome.verdict.status.value == "FAILED"
    assert "retentionInDays" not in aws("logs").describe_log_groups(logGroupNamePrefix="/app/off")["logGroups"][0]


def test_a_fix_request_for_a_resource_deleted_since_changes_nothing(aws, account_id):
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/deleted"
    settings = Settings(modes={RETENTION.id: Mode.AUTO})
    [gone] = apply_fix(FixRequest(RETENTION.id, account_id, REGION, arn, "event-12"), aws, settings)
    assert (gone.present, gone.fix, gone.verdict.reason) == (False, None, "the resource no longer exists")


def test_a_planned_fix_carries_the_tag_that_was_not_honoured(aws, account_id):
    from logbaseline.engine.exemptions import TAG_KEY
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    aws("logs").create_log_group(logGroupName="/app/tagged", tags={TAG_KEY: "not an exemption"})
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/tagged"
    settings = Settings(modes={RETENTION.id: Mode.DRY_RUN})
    [planned] = apply_fix(FixRequest(RETENTION.id, account_id, REGION, arn, "event-13"), aws, settings)
    assert planned.fix is not None and planned.fix["Outcome"] == "planned"
    assert planned.exemption is not None and not planned.exemption.applies
    assert planned.exemption.note.startswith(f"{TAG_KEY} tag ignored, malformed")


def test_a_fix_that_leaves_the_gap_open_is_applied_not_verified(aws, account_id, monkeypatch):
    from dataclasses import replace

    from logbaseline.engine import remediation
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    aws("logs").create_log_group(logGroupName="/app/unverified")
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/unverified"

    def misses(changes, resource, params):  # a change that does not close the gap
        changes.call("logs", "tag_log_group", logGroupName="/app/unverified", tags={"fix": "tried"})

    monkeypatch.setattr(remediation, "load", lambda control_id: replace(load(control_id), remediate=misses))
    settings = Settings(modes={RETENTION.id: Mode.AUTO})
    [outcome] = apply_fix(FixRequest(RETENTION.id, account_id, REGION, arn, "event-14"), aws, settings)
    assert outcome.fix["Outcome"] == "applied, not verified" and outcome.verdict.status.value == "FAILED"


def test_a_fix_touches_only_the_requested_resource_whatever_else_the_control_reads(aws, account_id, monkeypatch):
    """A control whose read of one resource lists others too: the request's resource alone is judged and fixed."""
    from dataclasses import replace

    from logbaseline.engine import remediation
    from logbaseline.engine.remediation import apply_fix

    from tests.conftest import REGION

    logs = aws("logs")
    logs.create_log_group(logGroupName="/app/a-never-expires")
    logs.create_log_group(logGroupName="/app/b-kept")
    logs.put_retention_policy(logGroupName="/app/b-kept", retentionInDays=400)
    listing_all = replace(
        RETENTION, collect=lambda clients, scope: RETENTION.collect(clients, replace(scope, resource_id=None))
    )
    monkeypatch.setattr(remediation, "load", lambda control_id: listing_all)
    kept = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/b-kept"
    auto = Settings(modes={RETENTION.id: Mode.AUTO})
    outcomes = apply_fix(FixRequest(RETENTION.id, account_id, REGION, kept, "event-12"), aws, auto)
    assert [o.fix for o in outcomes] == [None, None], "the requested group passes: nothing to fix"
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]}
    assert "retentionInDays" not in groups["/app/a-never-expires"], "another group, never asked for, was changed"


@pytest.mark.parametrize("listed_first", ["member", "security"])
def test_of_two_suppressions_the_latest_decides_in_whatever_order_the_history_lists_them(listed_first):
    """A member suppressed the finding, then the security account did: the security team's suppression stands."""
    from datetime import UTC, datetime

    import boto3
    from botocore.stub import Stubber
    from logbaseline.engine.findings import finding_id
    from logbaseline.engine.remediation import _suppression

    security, member = "999988887777", ACCOUNT
    wanted = finding_id(RETENTION.id, ACCOUNT, REGION, ARN)
    product = f"arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default"
    finding = {
        "SchemaVersion": "2018-10-08", "Id": wanted, "ProductArn": product,
        "GeneratorId": f"logbaseline/{RETENTION.id}", "AwsAccountId": ACCOUNT,
        "CreatedAt": "2026-12-01T00:00:00Z", "UpdatedAt": "2026-12-02T00:00:00Z",
        "Title": "t", "Description": "d", "Resources": [{"Type": "AwsLogsLogGroup", "Id": ARN}],
        "Workflow": {"Status": "SUPPRESSED"},
    }  # fmt: skip

    def suppressed(by: str, day: int) -> dict:
        source = {"Type": "BATCH_UPDATE_FINDINGS", "Identity": f"arn:aws:sts::{by}:assumed-role/admin/person"}
        updates = [{"UpdatedField": "Workflow.Status", "OldValue": "NEW", "NewValue": "SUPPRESSED"}]
        return {"UpdateTime": datetime(2026, 12, day, tzinfo=UTC), "UpdateSource": source, "Updates": updates}

    records = {"member": suppressed(member, 2), "security": suppressed(security, 3)}
    ordered = [records[listed_first], *(r for name, r in records.items() if name != listed_first)]
    securityhub = boto3.client("securityhub", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    stub = Stubber(securityhub)
    stub.add_response("get_findings", {"Findings": [finding]})
    stub.add_response("get_finding_history", {"Records": ordered})
    outcome = Outcome(RETENTION, ACCOUNT, REGION, ARN, failed("events never expire", fixable=True))
    with stub:
        decided = _suppression(lambda service, region=None: securityhub, outcome, frozenset({security}))
    assert decided is not None and decided.honoured and decided.by.startswith(f"arn:aws:sts::{security}:")
