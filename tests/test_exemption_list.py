"""`logbaseline exemptions list`: the register's entries and every exemption tag, honoured or not, with its source,
reason, approver or who set it, and until when, through the real command line."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from logbaseline import sam_template
from logbaseline.aws import Clients
from logbaseline.cli import main
from logbaseline.engine.tag_records import TagRecords

from tests.conftest import ROOT

RETENTION = "logs_log_group_retention_bounded"


def _register(account_id: str) -> str:
    until = (date.today() + timedelta(days=60)).isoformat()
    return f"""\
max_days: 180
exemptions:
  - id: legal-hold-archive
    accounts: ["{account_id}"]
    regions: [us-east-1]
    controls: [{RETENTION}]
    resources: ["arn:aws:logs:us-east-1:{account_id}:log-group:/legacy/*"]
    reason: archive kept by legal hold LH-42
    approver: security-lead@example.com
    expires: {until}
tag_exemptions:
  accounts: ["{account_id}"]
  controls: [{RETENTION}]
  max_days: 30
"""


def _tag_table(aws) -> str:
    properties = sam_template.load(ROOT / "template.yaml")["Resources"]["ExemptionTagTable"]["Properties"]
    aws("dynamodb").create_table(
        TableName="tags",
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        BillingMode="PAY_PER_REQUEST",
    )
    return "tags"


def test_list_shows_register_entries_and_tags_honoured_capped_expired_or_refused(aws, account_id, tmp_path: Path):
    logs, soon, far = aws("logs"), date.today() + timedelta(days=10), date.today() + timedelta(days=200)
    tags = {
        "/team/within": f"{RETENTION} until={soon} reason=migration CHG-1",
        "/team/capped": f"{RETENTION} until={far} reason=trial CHG-2",
        "/team/old": f"{RETENTION} until={far} reason=old CHG-3",
        "/team/typo": f"logs_log_group_retention_bounde until={soon} reason=typo",
    }
    for group, value in tags.items():
        logs.create_log_group(logGroupName=group)
        logs.tag_log_group(logGroupName=group, tags={"logbaseline:exempt": value})
    source = tmp_path / "exemptions.yaml"
    source.write_text(_register(account_id))
    table = _tag_table(aws)
    arn = f"arn:aws:logs:us-east-1:{account_id}:log-group:"
    set_at = (date.today() - timedelta(days=40)).isoformat()
    TagRecords(table, Clients("us-east-1")).record_call(
        {"account_id": account_id, "resource_id": arn + "/team/old", "action": "TagResource", "event_id": "e-1",
         "event_time": f"{set_at}T09:30:00Z", "value": tags["/team/old"], "actor": "arn:aws:iam::1:user/ana",
         "source_ip": "198.51.100.7"}
    )  # fmt: skip

    args = ["exemptions", "list", "--file", str(source), "--table", table, "--regions", "us-east-1"]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    entry = next(i for i in listed if i["source"] == "register")
    assert (entry["entry"], entry["state"], entry["approver"], entry["reason"]) == (
        "legal-hold-archive", "active", "security-lead@example.com", "archive kept by legal hold LH-42",
    )  # fmt: skip
    by_group = {i["resources"].rsplit(":", 1)[-1]: i for i in listed if i["source"] == "tag"}
    assert set(by_group) == set(tags)
    within, capped, old, typo = (by_group[g] for g in tags)
    assert (within["state"], within["until"], within["reason"]) == ("active", soon.isoformat(), "migration CHG-1")
    assert capped["state"] == "active" and capped["until"] == (date.today() + timedelta(days=30)).isoformat()
    assert "capped: the tag asks until=" in capped["note"]
    assert capped["set_by"] == "first seen today; no record of when it was set", "listing never starts the clock"
    assert old["state"] == "expired" and old["set_by"] == f"set by arn:aws:iam::1:user/ana at {set_at}T09:30:00Z"
    assert typo["state"] == "refused" and "unknown control ids (misspelled?)" in typo["note"]
    scanned = aws("dynamodb").scan(TableName=table)["Items"]
    assert [i["record"]["S"][:5] for i in scanned] == ["call#"], "list wrote nothing"

    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    flat = " ".join(text.output.split())
    assert "register active" in flat and "legal-hold-archive" in flat and "approved by security-lead" in flat
    assert "tag expired" in flat and "tag refused" in flat and "reason: trial CHG-2" in flat


def test_list_reads_the_deployed_register_and_says_when_there_is_nothing(aws, account_id, tmp_path: Path):
    source = tmp_path / "exemptions.yaml"
    source.write_text(_register(account_id))
    aws("s3").create_bucket(Bucket="register")
    deployed = CliRunner().invoke(main, ["exemptions", "deploy", str(source), "--bucket", "register"])
    assert deployed.exit_code == 0, deployed.output
    result = CliRunner().invoke(main, ["exemptions", "list", "--bucket", "register", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [i["entry"] for i in json.loads(result.output)] == ["legal-hold-archive"]
    empty = CliRunner().invoke(main, ["exemptions", "list", "--regions", "us-east-1"])
    assert empty.exit_code == 0 and empty.output.startswith("No exemptions")


def test_the_tag_records_are_written_once_by_the_functions_only_and_outlive_the_stack():
    from tests.cfn import Resolver
    from tests.iam_policy import Request, decide

    template = sam_template.load(ROOT / "template.yaml")
    table = template["Resources"]["ExemptionTagTable"]
    assert table["DeletionPolicy"] == "Retain" and table["Properties"]["TimeToLiveSpecification"]["Enabled"]
    stack = Resolver(template, {}, "111122223333")
    policy = stack.value(table["Properties"]["ResourcePolicy"]["PolicyDocument"])
    arn = stack.value({"Fn::GetAtt": ["ExemptionTagTable", "Arn"]})
    admin = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]

    def attempt(action: str, principal: str, identity: list) -> str:
        return decide(
            Request(action, arn, {"aws:PrincipalArn": principal}, principal), identity, resource_policy=policy
        )

    for role in ("EvaluatorRole", "RemediatorRole"):
        function = stack.role_arn(role)
        for action in ("dynamodb:PutItem", "dynamodb:Query"):
            assert attempt(action, function, stack.role_policies(role)) == "allow", (role, action)
        for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
            assert attempt(action, function, admin) == "explicit deny", (role, action)
    person = "arn:aws:iam::111122223333:role/Admin"
    assert attempt("dynamodb:PutItem", person, admin) == "explicit deny", "no one else writes a tag's record"
    assert attempt("dynamodb:Query", person, admin) == "allow", "people read it (exemptions list)"
