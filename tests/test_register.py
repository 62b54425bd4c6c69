"""The exemption register: its validation (with lines), what it exempts, the tag policy, and the deployed register
read by the stack's own functions."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from logbaseline.cli import main
from logbaseline.engine import runtime
from logbaseline.engine.exemptions import Origin, decide
from logbaseline.engine.register import REGISTER_KEY, InvalidRegister, from_document, parse_json, parse_yaml
from logbaseline.engine.tag_records import TagOrigin

from tests.conftest import CALLS, ROOT, findings_by_resource, load_event
from tests.test_suppression import counters_of

TODAY = date(2026, 12, 4)
RETENTION = "logs_log_group_retention_bounded"
GROUP_ARN = "arn:aws:logs:us-east-1:111122223333:log-group:/legacy/app"

VALID = """\
max_days: 180
exemptions:
  - id: legal-hold-archive
    accounts: ["111122223333"]
    regions: [us-east-1]
    controls: [logs_log_group_retention_bounded]
    resources: ["arn:aws:logs:us-east-1:111122223333:log-group:/legacy/*"]
    reason: archive kept by legal hold LH-42
    approver: security-lead@example.com
    expires: 2027-03-31
tag_exemptions:
  accounts: ["444455556666"]
  controls: [vpc_flow_logs_enabled]
  max_days: 30
"""


def test_a_valid_register_reads_and_round_trips_through_its_deployed_json():
    register = parse_yaml(VALID, TODAY)
    [entry] = register.entries
    assert (entry.id, entry.expires, register.max_days) == ("legal-hold-archive", date(2027, 3, 31), 180)
    assert register.tag_policy is not None and register.tag_policy.max_days == 30
    assert parse_json(register.to_json()) == register


BROKEN = """\
exemptions:
  - id: typo
    accounts: ["111122223333"]
    regions: [us-east-1]
    controls: [logs_log_group_retention_bounded, vpc_flow_log_enabled]
    resources: ["arn:aws:logs:us-east-1:111122223333:log-group:/a", "log-group:/b"]
    reason: r
    approver: a
    expires: 2026-01-31
  - id: too-long
    accounts: ["*"]
    regions: ["*"]
    controls: ["*"]
    resources: ["*"]
    reason: r
    approver: a
    expires: 2030-01-01
  - id: ou
    accounts: [ou-ab12-abcdefgh, "12345"]
    regions: [everywhere]
    controls: ["*"]
    resources: ["*"]
    reason: ""
    expires: 2027-01-01
"""


def test_each_problem_of_a_register_names_its_line():
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml(BROKEN, TODAY)
    found = {(p.line, p.message) for p in raised.value.problems}
    assert (5, "unknown control id 'vpc_flow_log_enabled'") in found
    assert any(line == 6 and "'log-group:/b' is not an ARN pattern" in m for line, m in found)
    assert (9, "expires 2026-01-31 is in the past") in found
    assert (17, "expires 2030-01-01 is more than 365 days ahead (the register's max_days)") in found
    assert any(line == 19 and "'12345' is not a 12-digit account id" in m for line, m in found)
    assert (20, "region 'everywhere' is not a region name or '*'") in found
    assert (23, "reason is non-empty text") in found
    assert (18, "entry is missing 'approver'") in found
    assert len(found) == 8, found


def test_exemptions_validate_prints_one_line_per_error_and_exits_2(tmp_path: Path):
    source = tmp_path / "exemptions.yaml"
    source.write_text(BROKEN)
    result = CliRunner().invoke(main, ["exemptions", "validate", str(source)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 8 and all(re.match(rf"^{re.escape(str(source))}:\d+: \S", line) for line in lines)
    assert "Traceback" not in result.output
    source.write_text(VALID.replace("2027-03-31", (date.today() + timedelta(days=30)).isoformat()))
    ok = CliRunner().invoke(main, ["exemptions", "validate", str(source)])
    assert ok.exit_code == 0 and "1 exemptions valid" in ok.output


def test_the_example_register_in_the_docs_is_valid():
    text = (ROOT / "docs/exemptions.md").read_text()
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert parse_yaml(example, date(2026, 12, 1)).entries


# --- what the register decides ------------------------------------------------------------------


def ruling(tag: str | None, account: str = "111122223333", control: str = RETENTION, resource: str = GROUP_ARN):
    return decide(control, account, "us-east-1", resource, tag, parse_yaml(VALID, TODAY), TODAY)


def test_a_register_entry_exempts_and_says_who_approved_it_until_when():
    exempt = ruling(None)
    assert exempt is not None and exempt.applies and exempt.source == "register"
    assert exempt.note == (
        "exempt until 2027-03-31 by register entry legal-hold-archive, approved by security-lead@example.com: "
        "archive kept by legal hold LH-42"
    )
    assert ruling(None, resource="arn:aws:logs:us-east-1:111122223333:log-group:/current/app") is None


def test_an_expired_register_entry_no_longer_exempts_and_the_finding_says_so():
    later = date(2027, 4, 1)
    expired = decide(RETENTION, "111122223333", "us-east-1", GROUP_ARN, None, parse_yaml(VALID, TODAY), later)
    assert expired is not None and not expired.applies
    assert expired.note == "register entry legal-hold-archive expired on 2027-03-31"


def test_a_tag_is_honoured_only_as_the_registers_policy_allows():
    flow = "vpc_flow_logs_enabled"
    vpc = "arn:aws:ec2:us-east-1:444455556666:vpc/vpc-1"
    allowed = ruling(f"{flow} until=2026-12-20 reason=lab", "444455556666", flow, vpc)
    assert allowed is not None and allowed.applies and allowed.source == "tag"
    unlisted = ruling(f"{RETENTION} until=2026-12-20 reason=x", resource=GROUP_ARN.replace("/legacy", "/other"))
    assert unlisted is not None and not unlisted.applies
    assert "allows none for logs_log_group_retention_bounded in account 111122223333" in unlisted.note
    too_long = ruling(f"{flow} until=2027-06-01 reason=lab", "444455556666", flow, vpc)
    assert too_long is not None and too_long.applies and too_long.until == "2027-01-03", "capped, not refused"
    everything = ruling("all until=2026-12-20 reason=lab", "444455556666", flow, vpc)
    assert everything is not None and not everything.applies and "'all' controls is not allowed" in everything.note


def test_a_tag_beyond_the_maximum_is_capped_from_the_day_it_was_set_and_then_expires():
    flow, account = "vpc_flow_logs_enabled", "444455556666"
    vpc = f"arn:aws:ec2:us-east-1:{account}:vpc/vpc-1"
    tag, register = f"{flow} until=2027-06-01 reason=lab (CHG-9)", parse_yaml(VALID, TODAY)
    set_by = "arn:aws:sts::444455556666:assumed-role/dev/ana"

    def since(day: date) -> Origin:
        return lambda value: TagOrigin(day, f"set by {set_by} at {day}T10:00:00Z") if value == tag else None

    capped = decide(flow, account, "us-east-1", vpc, tag, register, TODAY, since(date(2026, 11, 20)))
    assert capped is not None and capped.applies and capped.source == "tag"
    assert (capped.until, capped.reason) == ("2026-12-20", "lab (CHG-9)"), "30 days from the day it was set"
    assert capped.note == (
        "exempt until 2026-12-20 (capped: the tag asks until=2027-06-01, the register allows 30 days for tags "
        f"from 2026-11-20 (set by {set_by} at 2026-11-20T10:00:00Z)): lab (CHG-9)"
    )
    expired = decide(flow, account, "us-east-1", vpc, tag, register, TODAY, since(date(2026, 10, 1)))
    assert expired is not None and not expired.applies
    assert expired.note.startswith("logbaseline:exempt tag expired on 2026-10-31: it asks until=2027-06-01")
    within = decide(flow, account, "us-east-1", vpc, tag.replace("2027-06-01", "2026-12-10"), register, TODAY,
                    lambda value: TagOrigin(date(2026, 11, 20), "x"))  # fmt: skip
    assert within is not None and within.applies and within.until == "2026-12-10", "within the maximum: as asked"


def test_without_a_tag_policy_tags_exempt_nothing():
    register = parse_yaml(VALID.split("tag_exemptions:")[0], TODAY)
    vpc = "arn:aws:ec2:us-east-1:444455556666:vpc/vpc-1"
    refused = decide(
        "vpc_flow_logs_enabled", "444455556666", "us-east-1", vpc, "all until=2026-12-20 reason=x", register, TODAY
    )
    assert refused is not None and not refused.applies and "allows no tag exemptions" in refused.note


def test_a_misspelled_control_id_in_a_tag_is_reported():
    typo = decide(RETENTION, "111122223333", "us-east-1", GROUP_ARN, "vpc_flow_log_enabled until=2027-01-01 reason=x",
                  None, TODAY)  # fmt: skip
    assert typo is not None and not typo.applies
    assert typo.note == "logbaseline:exempt tag names unknown control ids (misspelled?): vpc_flow_log_enabled"


# --- deployed, and read by the stack's functions --------------------------------------------------


def test_the_deployed_register_exempts_in_the_stack_and_an_expired_entry_lets_the_fix_run(aws, stack, tmp_path):
    bucket = "security-exemption-register"
    aws("s3").create_bucket(Bucket=bucket)
    group = "/legacy/app"
    arn = f"arn:aws:logs:us-east-1:{stack.account_id}:log-group:{group}"
    source = tmp_path / "exemptions.yaml"
    until = (date.today() + timedelta(days=60)).isoformat()
    organizations = aws("organizations")  # the entry names the OU the account is in, not the account
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    unit = organizations.create_organizational_unit(ParentId=root, Name="legacy")["OrganizationalUnit"]["Id"]
    organizations.move_account(AccountId=stack.account_id, SourceParentId=root, DestinationParentId=unit)
    register = VALID.replace('"111122223333"', unit).replace("111122223333", stack.account_id)
    source.write_text(register.replace("2027-03-31", until).split("tag_exemptions:")[0])
    deployed = CliRunner().invoke(main, ["exemptions", "deploy", str(source), "--bucket", bucket])
    assert deployed.exit_code == 0, deployed.output
    stack.environment["LOGBASELINE_EXEMPTION_REGISTER_BUCKET"] = bucket

    aws("logs").create_log_group(logGroupName=group)
    stack.put_events([load_event("cloudtrail/logs-CreateLogGroup.json") | _named(group)])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Workflow"]["Status"] == "SUPPRESSED"
    assert (
        "by register entry legal-hold-archive, approved by security-lead@example.com"
        in (finding["ProductFields"]["logbaseline/Exemption"])
    )
    assert stack.queue_depth("FixQueue") == 0
    assert {"s3:GetObject", "organizations:ListParents"} <= CALLS["evaluator"]

    # The entry expires (here: a register deployed with an entry already past its day): the fix runs.
    expired = json.loads(aws("s3").get_object(Bucket=bucket, Key=REGISTER_KEY)["Body"].read())
    expired["exemptions"][0]["expires"] = (date.today() - timedelta(days=1)).isoformat()
    aws("s3").put_object(Bucket=bucket, Key=REGISTER_KEY, Body=json.dumps(expired).encode())
    runtime.new_container()  # a container started since (or the same one 5 minutes later) reads it again
    stack.put_events([load_event("cloudtrail/logs-CreateLogGroup.json") | _named(group)])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    assert stack.drain("FixQueue", "remediator").failed == []
    assert aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 365
    assert {"s3:GetObject", "organizations:ListParents"} <= CALLS["remediator"]
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    assert finding["Compliance"]["Status"] == "PASSED"


def test_a_tag_beyond_the_maximum_is_capped_in_the_stack_and_once_expired_the_finding_is_new_and_fixed(
    aws, stack, monkeypatch
):
    bucket, group = "security-exemption-register", "/team/app"
    arn = f"arn:aws:logs:us-east-1:{stack.account_id}:log-group:{group}"
    aws("s3").create_bucket(Bucket=bucket)
    policy = {"accounts": [stack.account_id], "controls": [RETENTION], "max_days": 30}
    register = {"version": 1, "max_days": 365, "exemptions": [], "tag_exemptions": policy}
    aws("s3").put_object(Bucket=bucket, Key=REGISTER_KEY, Body=json.dumps(register).encode())
    stack.environment["LOGBASELINE_EXEMPTION_REGISTER_BUCKET"] = bucket
    asks = (date.today() + timedelta(days=200)).isoformat()
    aws("logs").create_log_group(logGroupName=group)
    aws("logs").tag_log_group(logGroupName=group, tags={"logbaseline:exempt": f"{RETENTION} until={asks} reason=trial"})
    counters = counters_of(stack, monkeypatch)

    stack.put_events([load_event("cloudtrail/logs-CreateLogGroup.json") | _named(group)])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    cap = (date.today() + timedelta(days=30)).isoformat()
    note = finding["ProductFields"]["logbaseline/Exemption"]
    assert note.startswith(f"exempt until {cap} (capped: the tag asks until={asks}, the register allows 30 days")
    assert f"first seen by logbaseline on {date.today()}" in note
    assert finding["Workflow"]["Status"] == "SUPPRESSED" and stack.queue_depth("FixQueue") == 0
    assert counters[-1]["exemptions_applied"] == 1, "the ExemptionsApplied metric"
    assert {"dynamodb:Query", "dynamodb:PutItem"} <= CALLS["evaluator"]
    table = stack.tables["ExemptionTagTable"]
    [seen] = aws("dynamodb").scan(TableName=table)["Items"]
    assert seen["first_seen"]["S"] == date.today().isoformat(), "recorded when first seen"

    # 40 days later (the record moved back, as the clock cannot be): the cap has passed.
    earlier = (date.today() - timedelta(days=40)).isoformat()
    aws("dynamodb").put_item(TableName=table, Item=seen | {"first_seen": {"S": earlier}})
    stack.put_events([load_event("cloudtrail/logs-CreateLogGroup.json") | _named(group)])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    expired_on = (date.today() - timedelta(days=10)).isoformat()
    assert finding["ProductFields"]["logbaseline/Exemption"].startswith(
        f"logbaseline:exempt tag expired on {expired_on}"
    )
    assert finding["Workflow"]["Status"] == "NEW", "the suppression the exemption set is lifted"
    assert counters[-1]["exemptions_applied"] == 0 and counters[-1]["suppressed_without_exemption"] == 0
    assert stack.drain("FixQueue", "remediator").failed == []
    assert aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 365
    assert "dynamodb:Query" in CALLS["remediator"]


def _named(group: str) -> dict:
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["detail"]["requestParameters"]["logGroupName"] = group
    return {"detail": event["detail"]}


# --- visible in scan and plan ---------------------------------------------------------------------


def test_scan_and_plan_show_what_is_exempt_by_which_entry_and_what_was_not_honoured(
    aws, account_id, tmp_path, monkeypatch
):
    for group in ("/legacy/app", "/current/app"):
        aws("logs").create_log_group(logGroupName=group)
    aws("logs").tag_log_group(
        logGroupName="/current/app", tags={"logbaseline:exempt": f"{RETENTION} until=2027-01-01 reason=please"}
    )
    source = tmp_path / "exemptions.yaml"
    until = (date.today() + timedelta(days=60)).isoformat()
    source.write_text(VALID.replace("111122223333", account_id).replace("2027-03-31", until))
    monkeypatch.setenv("LOGBASELINE_EXEMPTIONS_FILE", str(source))
    scope = ["--regions", "us-east-1", "--controls", RETENTION]

    result = CliRunner().invoke(main, ["scan", "--format", "json", *scope])
    assert result.exit_code == 0, result.output
    rows = {r["resource_id"].rsplit(":", 1)[-1]: r for r in json.loads(result.output)}
    legacy, current = rows["/legacy/app"], rows["/current/app"]
    assert legacy["status"] == "FAILED"
    assert legacy["exemption"] | {"note": ""} == {
        "applies": True,
        "source": "register",
        "until": until,
        "reason": "archive kept by legal hold LH-42",
        "approver": "security-lead@example.com",
        "entry": "legal-hold-archive",
        "note": "",
    }
    assert current["exemption"]["applies"] is False and current["exemption"]["source"] == "tag"
    assert "allows none for logs_log_group_retention_bounded" in current["exemption"]["note"]

    text = CliRunner().invoke(main, ["scan", "--format", "table", *scope]).output
    assert "[EXEMPT by register until" in " ".join(text.split()), "the exempt row says so, after its reason"

    plan = CliRunner().invoke(main, ["plan", *scope]).output
    fixes, people = plan.split("Not fixable")
    assert "/current/app" in fixes and "logbaseline:exempt tag not honoured" in fixes, "the tag's refusal is shown"
    flat = " ".join(people.split())  # wrapped in its column
    assert "/legacy/app" in flat and "legal-hold-archive, approved by security-lead@example.com" in flat
    assert "kept by legal hold LH-42" in flat


def test_a_broken_register_file_is_one_line_for_scan(aws, tmp_path, monkeypatch):
    source = tmp_path / "exemptions.yaml"
    source.write_text(BROKEN)
    monkeypatch.setenv("LOGBASELINE_EXEMPTIONS_FILE", str(source))
    result = CliRunner().invoke(main, ["scan", "--controls", RETENTION])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert f"{source}:5: unknown control id 'vpc_flow_log_enabled' (and 7 more" in result.output


# --- Prowler's mutelist, brought over -------------------------------------------------------------

MUTELIST = """\
Mutelist:
  Accounts:
    "111122223333":
      Checks:
        "cloudtrail_*":
          Regions: ["us-east-1"]
          Resources: ["*"]
          Description: "sandbox trail, CHG-7"
        "cloudwatch_log_group_retention_policy_specific_days_enabled":
          Regions: ["*"]
          Resources: ["legacy"]
        "iam_user_hardware_mfa_enabled":
          Regions: ["*"]
          Resources: ["*"]
    "*":
      Checks:
        "vpc_flow_logs_enabled":
          Regions: ["*"]
          Resources: [".+-lab"]
        "guardduty_is_enabled":
          Regions: ["*"]
          Resources: ["*"]
          Exceptions:
            Accounts: ["444455556666"]
"""


def test_a_prowler_mutelist_becomes_register_entries_for_the_checks_that_map(tmp_path: Path):
    source = tmp_path / "mutelist.yaml"
    source.write_text(MUTELIST)
    until = (date.today() + timedelta(days=30)).isoformat()
    result = CliRunner().invoke(
        main, ["exemptions", "import-prowler", str(source), "--approver", "sec@example.com", "--expires", until]
    )
    assert result.exit_code == 0, result.output
    register = parse_yaml(result.stdout, date.today())  # what it prints is a valid register
    trails, retention = register.entries
    assert trails.controls == (
        "cloudtrail_bucket_access_logging_enabled",
        "cloudtrail_bucket_not_public",
        "cloudtrail_cloudwatch_logs_enabled",
        "cloudtrail_kms_encryption_enabled",
        "cloudtrail_log_file_validation_enabled",
        "cloudtrail_multi_region_logging",
    )
    assert (trails.regions, trails.resources, trails.reason) == (("us-east-1",), ("*",), "sandbox trail, CHG-7")
    assert (trails.approver, trails.expires.isoformat()) == ("sec@example.com", until)
    # Prowler's keyword is a "contains" on the resource: so is the pattern.
    assert retention.resources == ("arn:*:*:*:*:*legacy*",)
    assert retention.covers(RETENTION, "111122223333", "eu-west-1", GROUP_ARN, date.today(), lambda a: frozenset())
    left_out = result.stderr.strip().splitlines()
    assert len(left_out) == 3
    assert "check iam_user_hardware_mfa_enabled: no logbaseline control" in left_out[0]
    assert "check vpc_flow_logs_enabled: a resource is a regex" in left_out[1]
    assert "check guardduty_is_enabled: Tags and Exceptions have no equivalent" in left_out[2]


# --- each rule of the validation, one at a time (found by mutation testing, docs/testing.md) ----------------------


@pytest.mark.parametrize("value", ["abc", "0", "366", None, "1.5"])
def test_max_days_is_a_whole_number_of_days_from_1_to_365(value):
    with pytest.raises(InvalidRegister) as raised:
        from_document({"max_days": value, "exemptions": []}, TODAY)
    assert [p.message for p in raised.value.problems] == [f"max_days is a number of days from 1 to 365, got {value!r}"]
    for days in (1, 365):
        assert from_document({"max_days": days, "exemptions": []}, TODAY).max_days == days


def test_a_register_that_is_not_yaml_is_one_problem_with_its_line():
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml("exemptions:\n  - id: a\n    accounts: [\n", TODAY)
    [problem] = raised.value.problems
    assert problem.message.startswith("not YAML: ") and problem.line == 4


def test_an_entry_with_an_unknown_key_is_refused_and_the_key_named():
    source = VALID.replace("    approver: security-lead@example.com\n", "    approver: a\n    approved_by: b\n")
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml(source, TODAY)
    [problem] = raised.value.problems
    assert problem.line == 10 and problem.message.startswith("unknown key 'approved_by' (expected accounts, ")


def test_an_entry_has_expired_only_after_its_last_day():
    register = parse_yaml(VALID, TODAY)
    [entry] = register.entries
    scope = (RETENTION, "111122223333", "us-east-1", GROUP_ARN)
    assert register.expired_entry_for(*scope, entry.expires) is None, "its last day: still in force"
    assert register.entry_for(*scope, entry.expires) == entry
    assert register.expired_entry_for(*scope, entry.expires + timedelta(days=1)) == entry


@pytest.mark.parametrize("regions", [["   "], [1], []])
def test_a_list_of_an_entry_holds_non_blank_strings(regions):
    entry = {
        "id": "e",
        "accounts": ["111122223333"],
        "regions": regions,
        "controls": ["*"],
        "resources": ["*"],
        "reason": "r",
        "approver": "a",
        "expires": "2027-01-01",
    }
    with pytest.raises(InvalidRegister) as raised:
        from_document({"exemptions": [entry]}, TODAY)
    assert [p.message for p in raised.value.problems] == ["regions is a non-empty list of strings"]


def test_an_unknown_key_at_the_top_or_in_the_tag_policy_is_named():
    with pytest.raises(InvalidRegister) as raised:
        from_document({"exemptions": [], "exemption": [], "tag_exemptions": {"max_day": 3}}, TODAY)
    messages = [p.message for p in raised.value.problems]
    assert any(m.startswith("unknown key 'exemption' (expected one of exemptions, max_days, ") for m in messages), (
        messages
    )
    assert any(m.startswith("unknown key 'max_day' (expected accounts, controls, max_days)") for m in messages)


def test_the_deployed_register_is_version_1_of_its_format():
    assert json.loads(parse_yaml(VALID, TODAY).to_json())["version"] == 1


def test_the_deployed_register_is_read_again_only_after_its_ttl():
    from logbaseline.engine.register import S3Register

    reads = []

    class Body:
        def read(self) -> bytes:
            return parse_yaml(VALID, TODAY).to_json().encode()

    class S3:
        def get_object(self, **request):
            reads.append(request)
            return {"Body": Body()}

    register = S3Register("register-bucket", "111122223333", lambda: S3(), lambda account: frozenset(), ttl=300)
    first, second = register(), register()
    assert first == second and len(reads) == 1, "kept for the ttl"
    assert reads[0] == {"Bucket": "register-bucket", "Key": REGISTER_KEY, "ExpectedBucketOwner": "111122223333"}
    expired = S3Register("register-bucket", "111122223333", lambda: S3(), lambda account: frozenset(), ttl=0)
    expired(), expired()
    assert len(reads) == 3, "read again once the ttl has passed"


def test_a_tag_policy_without_max_days_allows_the_90_days_the_guide_states():
    import re

    guide = (ROOT / "docs" / "exemptions.md").read_text()
    stated = re.search(r"a tag is honoured at most this long from the day it was set \(default (\d+)\)", guide)
    register = parse_yaml(VALID.replace("  max_days: 30\n", ""), TODAY)
    assert stated and register.tag_policy is not None and register.tag_policy.max_days == int(stated.group(1)) == 90


def test_an_entry_may_expire_today_and_not_yesterday():
    today = VALID.replace("2027-03-31", TODAY.isoformat())
    assert parse_yaml(today, TODAY).entries[0].expires == TODAY
    with pytest.raises(InvalidRegister, match="is in the past"):
        parse_yaml(VALID.replace("2027-03-31", (TODAY - timedelta(days=1)).isoformat()), TODAY)


def test_an_entry_may_expire_max_days_ahead_and_not_a_day_more():
    last = TODAY + timedelta(days=180)  # VALID's max_days
    assert parse_yaml(VALID.replace("2027-03-31", last.isoformat()), TODAY).entries[0].expires == last
    with pytest.raises(InvalidRegister, match="is more than 180 days ahead"):
        parse_yaml(VALID.replace("2027-03-31", (last + timedelta(days=1)).isoformat()), TODAY)


def test_a_problem_names_its_line_when_there_is_one_and_none_in_the_deployed_json():
    with pytest.raises(InvalidRegister) as raised:
        parse_json('{"max_days": 0, "exemptions": []}')
    assert [str(p) for p in raised.value.problems] == ["max_days is a number of days from 1 to 365, got 0"]
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml("max_days: 0\nexemptions: []\n", TODAY)
    assert [str(p) for p in raised.value.problems] == ["line 1: max_days is a number of days from 1 to 365, got '0'"]
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml("exemptions: []\nreason: \x00\n", TODAY)  # a character YAML refuses: the reader knows no line
    [problem] = raised.value.problems
    assert problem.line == 0 and str(problem).startswith("not YAML: ")


def test_a_register_that_is_not_a_mapping_is_refused_at_its_first_line():
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml("- id: a\n- id: b\n", TODAY)
    assert [str(p) for p in raised.value.problems] == ["line 1: the register is a mapping with an `exemptions` list"]
    with pytest.raises(InvalidRegister) as raised:
        parse_json("[]")
    assert [str(p) for p in raised.value.problems] == ["the register is a mapping with an `exemptions` list"]


def test_an_expiry_that_is_not_a_date_is_named():
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml(VALID.replace("expires: 2027-03-31", "expires: 2027-13-45"), TODAY)
    assert [p.message for p in raised.value.problems] == ["expires '2027-13-45' is not a date (YYYY-MM-DD)"]


def test_the_organizational_units_and_the_deployed_register_are_kept_the_5_minutes_the_guide_states():
    import inspect

    from logbaseline.engine.register import OrganizationalUnits, S3Register

    guide = " ".join((ROOT / "docs" / "exemptions.md").read_text().split())
    assert "account by account up to the root, kept 5 minutes" in guide
    assert "keep it for at most 5 minutes per container" in guide
    for kept in (OrganizationalUnits, S3Register):
        assert inspect.signature(kept).parameters["ttl"].default == 5 * 60, kept


def test_the_ous_of_an_account_are_asked_once_per_ttl_up_to_the_root():
    from logbaseline.engine.register import OrganizationalUnits

    asked = []
    parents = {"111122223333": ("ou-ab12-team0001", "ORGANIZATIONAL_UNIT"), "ou-ab12-team0001": ("r-ab12", "ROOT")}

    class Organizations:
        def list_parents(self, ChildId):  # noqa: N803 - boto3's name
            asked.append(ChildId)
            parent, kind = parents[ChildId]
            return {"Parents": [{"Id": parent, "Type": kind}]}

    units = OrganizationalUnits(lambda: Organizations(), ttl=300)
    assert units("111122223333") == units("111122223333") == frozenset({"ou-ab12-team0001"})
    assert asked == ["111122223333", "ou-ab12-team0001"], "one walk up to the root, then kept"
    fresh = OrganizationalUnits(lambda: Organizations(), ttl=0)
    fresh("111122223333"), fresh("111122223333")
    assert len(asked) == 6, "asked again once the ttl has passed"


def test_a_deployed_register_that_is_not_json_is_one_problem_without_a_line():
    with pytest.raises(InvalidRegister) as raised:
        parse_json('{"version": 1, "exemptions": [')
    [problem] = raised.value.problems
    assert problem.line == 0 and problem.message.startswith("not JSON: ") and str(problem) == problem.message


def test_the_tag_policy_allows_only_its_controls_in_only_its_accounts():
    policy = parse_yaml(VALID, TODAY).tag_policy
    assert policy is not None
    no_ous = lambda account_id: frozenset()  # noqa: E731
    assert policy.allows("vpc_flow_logs_enabled", "444455556666", no_ous)
    assert not policy.allows(RETENTION, "444455556666", no_ous), "an account listed, a control not"
    assert not policy.allows("vpc_flow_logs_enabled", "111122223333", no_ous), "a control listed, an account not"


def test_an_entry_without_an_id_is_named_missing_it_only():
    source = VALID.replace("  - id: legal-hold-archive\n    accounts:", "  - accounts:")
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml(source, TODAY)
    assert [str(p) for p in raised.value.problems] == ["line 3: entry is missing 'id'"]


def test_a_problem_of_one_value_given_as_a_string_names_the_line_of_its_key():
    """`accounts: "1234"` (a string, not a list) is read as a list of one: its problem names that key's line."""
    source = VALID.replace('  accounts: ["444455556666"]\n', '  accounts: "4444"\n')
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml(source, TODAY)
    [problem] = raised.value.problems
    assert problem.line == 12 and "'4444'" in problem.message


def test_an_entry_naming_an_organizational_unit_covers_only_the_accounts_inside_it():
    source = VALID.replace('    accounts: ["111122223333"]\n', "    accounts: [ou-ab12-team0001]\n", 1)
    source = source.replace('["arn:aws:logs:us-east-1:111122223333:log-group:/legacy/*"]', '["*"]')
    units = {"111122223333": {"ou-ab12-team0001", "r-ab12"}, "444455556666": {"ou-ab12-other001", "r-ab12"}}
    register = replace(parse_yaml(source, TODAY), ous=lambda account_id: frozenset(units.get(account_id, ())))
    for account, covered in (("111122223333", True), ("444455556666", False), ("777788889999", False)):
        arn = GROUP_ARN.replace("111122223333", account)
        assert (register.entry_for(RETENTION, account, "us-east-1", arn, TODAY) is not None) is covered, account


def test_a_tag_policys_max_days_out_of_range_is_named_as_max_days():
    source = VALID.replace("  max_days: 30\n", "  max_days: 0\n")
    with pytest.raises(InvalidRegister) as raised:
        parse_yaml(source, TODAY)
    assert [str(p) for p in raised.value.problems] == ["line 14: max_days is a number of days from 1 to 180, got '0'"]


def test_a_capped_tag_exempts_through_its_last_day_and_not_the_day_after():
    flow, account = "vpc_flow_logs_enabled", "444455556666"
    vpc = f"arn:aws:ec2:us-east-1:{account}:vpc/vpc-1"
    tag, register = f"{flow} until=2027-06-01 reason=lab", parse_yaml(VALID, TODAY)  # tags: at most 30 days
    for set_on, applies in ((TODAY - timedelta(days=30), True), (TODAY - timedelta(days=31), False)):
        origin = partial(lambda day, value: TagOrigin(day, "x"), set_on)
        decided = decide(flow, account, "us-east-1", vpc, tag, register, TODAY, origin)
        assert decided is not None and decided.applies is applies, set_on


def test_a_tag_asking_exactly_the_maximum_is_honoured_as_asked_not_capped():
    flow, account = "vpc_flow_logs_enabled", "444455556666"
    vpc = f"arn:aws:ec2:us-east-1:{account}:vpc/vpc-1"
    last = TODAY + timedelta(days=30)  # VALID's tag policy: 30 days
    tag = f"{flow} until={last.isoformat()} reason=lab"
    decided = decide(flow, account, "us-east-1", vpc, tag, parse_yaml(VALID, TODAY), TODAY)  # first seen today
    assert decided is not None and decided.applies and decided.until == last.isoformat()
    assert "capped" not in decided.note
