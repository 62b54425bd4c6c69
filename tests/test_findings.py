"""ASFF findings: a frozen identity, the fields Security Hub needs, and imports it accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from logbaseline.controls import all_controls, load
from logbaseline.emulation import asff
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.exemptions import Ruling
from logbaseline.engine.findings import ImportFailed, finding_id, publish, reachability_finding, to_asff
from logbaseline.models import Resource, Status, failed, not_applicable, passed

from tests.doubles import REQUIRED, ClientsDouble, SecurityHubDouble

RETENTION = load("logs_log_group_retention_bounded")
ARN = "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/orders-api"


def outcome(verdict=None, account="111122223333", region="eu-west-1", resource_id=ARN, present=True, fix=None):
    resource = Resource(account, region, resource_id, {}) if present else None
    return Outcome(
        RETENTION, account, region, resource_id, verdict or failed("never expires", fixable=True), resource, fix
    )


def test_finding_id_is_frozen():
    # A public contract: this exact value (sha256 of the ARN, by sha256sum) must never change.
    assert finding_id("logs_log_group_retention_bounded", "111122223333", "eu-west-1", ARN) == (
        "logbaseline/logs_log_group_retention_bounded/111122223333/eu-west-1/"
        "8a79a3b6dadaaa3108f1fa227a497fd1f40c3da7aa3f552d4f5f950ef190bfff"
    )


def test_id_depends_only_on_control_account_region_and_resource():
    first = to_asff(outcome(failed("x")), datetime(2026, 1, 1, tzinfo=UTC))
    again = to_asff(outcome(passed("y")), datetime(2027, 1, 1, tzinfo=UTC))
    assert first["Id"] == again["Id"]
    assert to_asff(outcome(resource_id=ARN + "2"))["Id"] != first["Id"]
    assert to_asff(outcome(region="us-east-1"))["Id"] != first["Id"]
    assert to_asff(outcome(account="444455556666"))["Id"] != first["Id"]


def test_failed_finding_has_what_security_hub_and_people_need():
    finding = to_asff(outcome(fix={"Mode": "auto", "Outcome": "verified"}), datetime(2026, 11, 29, 1, 2, 3, tzinfo=UTC))
    assert all(key in finding for key in REQUIRED)
    assert finding["ProductArn"] == "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
    assert finding["GeneratorId"] == "logbaseline/logs_log_group_retention_bounded"
    assert finding["Compliance"]["Status"] == "FAILED"
    assert "AWS Well-Architected SEC04-BP01" in finding["Compliance"]["RelatedRequirements"]
    assert "Security Hub CloudWatch.16" in finding["Compliance"]["RelatedRequirements"]
    assert finding["Severity"] == {"Label": "MEDIUM", "Original": "MEDIUM"}
    assert finding["FindingProviderFields"]["Severity"] == finding["Severity"], "a provider's severity goes here"
    assert finding["Resources"] == [{"Type": "Other", "Id": ARN, "Partition": "aws", "Region": "eu-west-1"}]
    assert finding["ProductFields"]["logbaseline/ControlId"] == "logs_log_group_retention_bounded"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"
    assert finding["Remediation"]["Recommendation"]["Url"].startswith("https://")
    assert finding["CreatedAt"] == "2026-11-29T01:02:03.000Z"
    assert finding["Description"].startswith(
        f"Never expires. Resource: {ARN}. Control logs_log_group_retention_bounded: "
    )
    assert finding["Title"].endswith("FAILED for log-group:/aws/lambda/orders-api"), "says what and which resource"
    assert "docs/controls.md#logs_log_group_retention_bounded" in finding["Remediation"]["Recommendation"]["Text"]
    assert finding["RecordState"] == "ACTIVE"


def test_passed_is_informational_and_gone_resources_are_archived():
    assert to_asff(outcome(passed("ok")))["Severity"]["Label"] == "INFORMATIONAL"
    gone = to_asff(outcome(not_applicable("the resource no longer exists"), present=False))
    assert gone["RecordState"] == "ARCHIVED"
    assert (gone["Compliance"]["Status"], gone["Severity"]["Label"]) == ("NOT_AVAILABLE", "INFORMATIONAL")


def test_not_applicable_outcomes_are_not_reported_but_gone_ones_are():
    assert not outcome(not_applicable("shadow trail")).reportable
    assert outcome(not_applicable("gone"), present=False).reportable
    assert outcome().verdict.status is Status.FAILED and outcome().reportable


def test_long_reasons_are_cut_to_asff_limits():
    finding = to_asff(outcome(failed("x" * 5000)))
    assert len(finding["Description"]) <= 1024 and len(finding["Title"]) <= 256
    assert len(finding["ProductFields"]["logbaseline/Reason"]) == 2048
    assert asff.problems(finding) == []


def test_publish_sends_batches_of_at_most_100_from_each_findings_own_account_and_region():
    clients = ClientsDouble()
    findings = [to_asff(outcome(resource_id=f"{ARN}-{i}")) for i in range(250)]
    findings += [to_asff(outcome(account="444455556666", resource_id=f"{ARN}-{i}")) for i in range(3)]
    findings += [to_asff(outcome(region="us-east-1", resource_id=f"{ARN}-{i}")) for i in range(2)]
    assert publish(findings, clients).imported == 255
    assert [len(c) for c in clients.hubs[("111122223333", "eu-west-1")].calls] == [100, 100, 50]
    assert [len(c) for c in clients.hubs[("444455556666", "eu-west-1")].calls] == [3]
    assert [len(c) for c in clients.hubs[("111122223333", "us-east-1")].calls] == [2]


def test_refused_findings_raise_so_the_message_is_retried():
    hub = SecurityHubDouble("111122223333", "eu-west-1")
    good = to_asff(outcome())
    bad = {**to_asff(outcome(resource_id=ARN + "-2")), "Title": "   "}  # a blank NonEmptyString
    with pytest.raises(ImportFailed, match="Title"):
        publish([good, bad], lambda account, region: lambda service, region=None: hub)
    assert list(hub.stored) == [good["Id"]], "the valid finding is imported; the message is retried for the other"


def test_a_finding_of_another_account_fails_the_whole_call():
    hub = SecurityHubDouble("999999999999", "eu-west-1")  # not the finding's account: AWS refuses the call
    with pytest.raises(ClientError, match="AccessDeniedException"):
        publish([to_asff(outcome())], lambda account, region: lambda service, region=None: hub)


@pytest.mark.parametrize("control", all_controls(), ids=lambda c: c.id)
def test_every_finding_a_control_can_make_is_one_security_hub_accepts(control):
    account, region = "111122223333", "eu-west-1"
    resource_id = f"arn:aws:logs:{region}:{account}:log-group:/x"

    def of(verdict, present=True, fix=None, exemption=None):
        resource = Resource(account, region, resource_id, {}) if present else None
        return to_asff(Outcome(control, account, region, resource_id, verdict, resource, fix, exemption))

    stopped = {"Mode": "auto", "Outcome": "stopped", "At": "2026-12-01T00:00:00+00:00", "Error": ""}
    findings = [
        of(failed("never expires", fixable=True)),
        of(passed("365 days")),
        of(not_applicable("the resource no longer exists"), present=False),
        of(failed("x"), exemption=Ruling(True, "exempt until 2027-01-01: legacy")),
        of(failed("x"), fix=stopped),
    ]
    for finding in findings:
        assert asff.problems(finding) == [], finding
    assert control.resource_type in asff.documented_resource_types()


def test_the_reachability_findings_are_ones_security_hub_accepts():
    reachable = reachability_finding("111122223333", "eu-west-1", "444455556666", "", "")
    unreachable = reachability_finding("111122223333", "eu-west-1", "444455556666", "arn:aws:iam::4:role/r", "denied")
    assert asff.problems(reachable) == [] and asff.problems(unreachable) == []
    assert "logbaseline/Reason" not in reachable["ProductFields"], "an empty value is refused, so it is left out"


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({"ProductFields": {"logbaseline/Reason": ""}}, "ProductFields.logbaseline/Reason"),
        ({"Title": "t" * 257}, "Title is longer than 256"),
        ({"Severity": {"Label": "URGENT"}}, "Severity.Label must be one of"),
        ({"Resources": [{"Type": "Other", "Id": f"r{i}"} for i in range(33)]}, "Resources has more than 32"),
        ({"Types": ["Made Up/Thing"]}, "not in a documented namespace"),
        ({"UpdatedAt": "yesterday"}, "UpdatedAt is not an ISO 8601"),
        ({"Colour": "red"}, "Colour is not an ASFF attribute"),
    ],
)
def test_the_double_refuses_what_security_hub_refuses(change, refused):
    hub = SecurityHubDouble("111122223333", "eu-west-1")
    response = hub.batch_import_findings(Findings=[to_asff(outcome()) | change])
    assert response["FailedCount"] == 1 and refused in response["FailedFindings"][0]["ErrorMessage"]
    with pytest.raises(ClientError, match="between 1 and 100"):
        hub.batch_import_findings(Findings=[to_asff(outcome(resource_id=f"{ARN}{i}")) for i in range(101)])


def test_a_sweep_archives_only_its_controls_findings_last_updated_before_it_began_and_not_seen():
    from datetime import timedelta

    from logbaseline.engine.findings import unseen_findings

    account, region = "111122223333", "eu-west-1"
    hub = SecurityHubDouble(account, region)
    began = datetime(2026, 12, 1, 12, tzinfo=UTC)
    earlier = to_asff(outcome(resource_id=f"{ARN}-earlier"), now=began - timedelta(milliseconds=1))
    at_start = to_asff(outcome(resource_id=f"{ARN}-at-start"), now=began)  # updated by the sweep itself
    seen = to_asff(outcome(resource_id=f"{ARN}-seen"), now=began - timedelta(hours=1))
    hub.batch_import_findings(Findings=[earlier, at_start, seen])
    found = unseen_findings(hub, account, region, [RETENTION.id], {seen["Id"]}, began)
    assert [f["Id"] for f in found] == [earlier["Id"]]
    assert unseen_findings(hub, account, region, ["guardduty_enabled"], set(), began) == [], "another control's"


def test_every_text_is_cut_to_its_asff_limit_whatever_the_control_resource_or_reason_say():
    from dataclasses import replace

    wordy = replace(RETENTION, title="T" * 300, description="D" * 2000, remediation_text="R" * 600)
    resource_id = f"{ARN}/{'x' * 500}"
    resource = Resource("111122223333", "eu-west-1", resource_id, {})
    finding = to_asff(Outcome(wordy, "111122223333", "eu-west-1", resource_id, failed("y" * 5000), resource))
    lengths = (
        len(finding["Title"]),
        len(finding["Description"]),
        len(finding["Remediation"]["Recommendation"]["Text"]),
    )
    assert lengths == (256, 1024, 512)
    assert asff.problems(finding) == []
    role = f"arn:aws:iam::444455556666:role/{'p/' * 300}logbaseline-member"
    unreachable = reachability_finding("111122223333", "eu-west-1", "444455556666", role, "AccessDenied: " + "z" * 2000)
    assert (len(unreachable["Description"]), len(unreachable["Remediation"]["Recommendation"]["Text"])) == (1024, 512)
    assert asff.problems(unreachable) == []


def test_a_publication_past_its_deadline_imports_one_batch_and_returns_every_other_finding_of_every_scope():
    import time

    clients = ClientsDouble()
    first = [to_asff(outcome(resource_id=f"{ARN}-{i}")) for i in range(150)]
    second = [to_asff(outcome(account="444455556666", resource_id=f"{ARN}-{i}")) for i in range(3)]
    third = [to_asff(outcome(region="us-east-1", resource_id=f"{ARN}-{i}")) for i in range(2)]
    publication = publish(first + second + third, clients, deadline=time.monotonic() - 1)
    assert publication.imported == 100, "each message makes progress: its first batch goes whatever the time"
    assert [f["Id"] for f in publication.left] == [f["Id"] for f in first[100:] + second + third]
    assert set(clients.hubs) == {("111122223333", "eu-west-1")}, "no call for the scopes left"


def test_a_member_account_is_active_while_unreachable_and_archived_once_reachable():
    args = ("111122223333", "eu-west-1", "444455556666", "arn:aws:iam::444455556666:role/logbaseline-member")
    unreachable, reachable = reachability_finding(*args, "AccessDenied"), reachability_finding(*args, "")
    assert (unreachable["RecordState"], unreachable["Compliance"]["Status"]) == ("ACTIVE", "FAILED")
    assert (reachable["RecordState"], reachable["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert unreachable["Id"] == reachable["Id"], "one finding per member account and region"
    assert unreachable["Severity"]["Label"] == "HIGH" and reachable["Severity"]["Label"] == "INFORMATIONAL"
    assert unreachable["Title"] == "logbaseline cannot assume its member role in account 444455556666 (eu-west-1)"
    assert reachable["Title"] == "logbaseline reads account 444455556666 in eu-west-1"


def test_a_publication_without_workflow_only_imports():
    clients = ClientsDouble()
    publication = publish([to_asff(outcome()), to_asff(outcome(resource_id=f"{ARN}-2"))], clients)
    hub = clients.hubs[("111122223333", "eu-west-1")]
    assert (publication.imported, hub.lookups, hub.updates) == (2, [], [])


def test_a_refusal_names_how_many_findings_were_refused_and_shows_the_first_three():
    hub = SecurityHubDouble("111122223333", "eu-west-1")
    blank = [{**to_asff(outcome(resource_id=f"{ARN}-{i}")), "Title": "   "} for i in range(5)]
    with pytest.raises(ImportFailed) as refused:
        publish(blank, lambda account, region: lambda service, region=None: hub)
    message = str(refused.value)
    assert message.startswith("Security Hub refused 5 findings: ")
    assert [
        f"{ARN}-{i}" in message or finding_id(RETENTION.id, "111122223333", "eu-west-1", f"{ARN}-{i}") in message
        for i in range(5)
    ] == [True, True, True, False, False]
