"""The operator's commands (scan formats, plan, fix, replay, the HTML report) against a moto server over HTTP."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from logbaseline import demo
from logbaseline.cli import FAIL_ON_EXIT_CODE, main, why_not_fixable
from logbaseline.engine.exemptions import TAG_KEY
from logbaseline.engine.findings import finding_id
from logbaseline.operations import Run

from tests.conftest import CALL_LOG, EVENTS, ROOT, current_role, load_event
from tests.doubles import REQUIRED, SecurityHubDouble
from tests.test_history import history_table

RETENTION = "logs_log_group_retention_bounded"
HOSTILE = "/x/<script>alert(1)</script>"
READ_PREFIXES = ("Describe", "Get", "List", "Head", "BatchGet")  # BatchGet*: reads of several at once


def cli(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


def log_group_arn(account_id: str, name: str) -> str:
    return f"arn:aws:logs:us-east-1:{account_id}:log-group:{name}"


def retention(aws, name: str) -> int | None:
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next(g.get("retentionInDays") for g in groups if g["logGroupName"] == name)


def calls_during(*args: str, input: str | None = None) -> tuple[Result, list[str]]:
    """Run the command line, and every AWS call it made (service:Operation), from conftest's recorder."""
    start, token = len(CALL_LOG), current_role.set("cli")
    try:
        result = cli(*args, input=input)
    finally:
        current_role.reset(token)
    return result, [action for role, action in CALL_LOG[start:] if role == "cli"]


@pytest.fixture
def log_groups(aws):
    logs = aws("logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders-api")  # never expires: FAILED, fixable
    logs.create_log_group(logGroupName="/aws/lambda/reporting")
    logs.put_retention_policy(logGroupName="/aws/lambda/reporting", retentionInDays=400)  # PASSED


# --- scan -----------------------------------------------------------------------------------


def test_scan_asff_is_the_findings_security_hub_would_import(aws, account_id, log_groups):
    result = cli("scan", "--format", "asff", "--controls", RETENTION)
    assert result.exit_code == 0
    findings = json.loads(result.stdout)
    assert isinstance(findings, list) and len(findings) == 2
    assert all(set(REQUIRED) <= set(f) for f in findings)
    by_resource = {f["Resources"][0]["Id"]: f for f in findings}
    orders = by_resource[log_group_arn(account_id, "/aws/lambda/orders-api")]
    assert orders["Id"] == finding_id(RETENTION, account_id, "us-east-1", orders["Resources"][0]["Id"])
    assert (orders["Compliance"]["Status"], orders["Severity"]["Label"]) == ("FAILED", "MEDIUM")
    assert by_resource[log_group_arn(account_id, "/aws/lambda/reporting")]["Compliance"]["Status"] == "PASSED"
    hub = SecurityHubDouble(account_id, "us-east-1")
    assert hub.batch_import_findings(Findings=findings)["FailedCount"] == 0


def test_scan_fail_on_failed_exits_3_after_printing_the_results(aws, log_groups):
    result = cli("scan", "--format", "json", "--controls", RETENTION, "--fail-on", "FAILED")
    assert result.exit_code == FAIL_ON_EXIT_CODE == 3
    assert {row["status"] for row in json.loads(result.stdout)} == {"FAILED", "PASSED"}
    assert cli("scan", "--format", "json", "--controls", RETENTION).exit_code == 0, "default: never fail"
    aws("logs").put_retention_policy(logGroupName="/aws/lambda/orders-api", retentionInDays=365)
    assert cli("scan", "--controls", RETENTION, "--fail-on", "FAILED").exit_code == 0


def test_scan_progress_bar_only_on_a_terminal(aws, log_groups, tmp_path):
    piped = cli("scan", "--format", "json", "--controls", RETENTION)
    assert piped.stderr == "" and json.loads(piped.stdout)
    # The real program, stderr on a pseudo-terminal and stdout to a file: the bar goes to the terminal only.
    stdout_path = tmp_path / "stdout.json"
    controller, terminal = pty.openpty()
    with stdout_path.open("w") as stdout:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("logbaseline")), "scan", "--format", "json"],
            stdout=stdout,
            stderr=terminal,
            env={**os.environ, "COLUMNS": "120"},
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the program ended
                break
            if not chunk:
                break
            shown += chunk
        os.close(controller)
        assert process.wait(timeout=60) == 0
    assert b"evaluating" in shown and b"100%" in shown
    rows = json.loads(stdout_path.read_text())
    assert {row["control_id"] for row in rows} >= {RETENTION}


def test_scan_html_needs_an_output_file(aws):
    result = cli("scan", "--format", "html")
    assert result.exit_code == 2 and "--format html needs --output FILE" in result.output


# --- plan -----------------------------------------------------------------------------------


def test_plan_is_read_only_and_lists_the_calls_each_fix_would_make(aws, account_id):
    demo.seed_gaps(aws)
    result, calls = calls_during("plan")
    assert result.exit_code == 0, result.output
    writes = [c for c in calls if not c.split(":", 1)[1].startswith(READ_PREFIXES)]
    assert calls and writes == [], "plan makes no write call"
    assert retention(aws, "/aws/lambda/orders-api") is None
    assert aws("cloudtrail").get_trail_status(Name="management-events")["IsLogging"] is False
    planned, manual = result.stdout.split("Not fixable")
    assert "logs:put_retention_policy(logGroupName=/aws/lambda/orders-api" in planned
    assert "logs:put_retention_policy(logGroupName=/aws/lambda/payments-api" in planned
    assert "cloudtrail:start_logging(Name=" in planned
    assert "guardduty:update_detector(DetectorId=" in planned and "never fixes" in planned  # mode off by default
    assert "/aws/lambda/audit-archive" not in planned, "a retention above the ceiling is not fixable"
    assert "group:/aws/lambda/audit-archive" in manual and "above the ceiling" in manual
    assert "wafv2_web_acl_logging_enabled" in manual and "the control has no automatic fix" in manual


def test_plan_with_nothing_failed(aws):
    result = cli("plan", "--controls", RETENTION)
    assert result.exit_code == 0 and result.stdout.strip() == "Nothing to fix: no FAILED result."


# --- fix ------------------------------------------------------------------------------------


@pytest.fixture
def trail(aws, monkeypatch) -> str:
    """The stack's audit trail, named as the deployment names it to the functions."""
    table = history_table(aws)
    monkeypatch.setenv("LOGBASELINE_HISTORY_TABLE", table)
    return table


def trail_items(aws, table: str) -> list[dict]:
    return sorted(aws.resource("dynamodb").Table(table).scan()["Items"], key=lambda i: i["at"])


def test_fix_yes_applies_verifies_and_a_second_run_has_nothing_to_do(aws, account_id, log_groups, trail):
    result, calls = calls_during("fix", "--yes", "--controls", RETENTION)
    assert result.exit_code == 0, result.output
    assert calls.count("logs:PutRetentionPolicy") == 1
    applied = result.stdout.split("Applied (1):")[1]
    assert "/aws/lambda/orders-api" in applied and "verified" in applied and "PASSED" in applied
    assert retention(aws, "/aws/lambda/orders-api") == 365
    assert retention(aws, "/aws/lambda/reporting") == 400
    again, calls = calls_during("fix", "--yes", "--controls", RETENTION)
    assert again.exit_code == 0
    assert "Nothing to fix: no FAILED result." in again.stdout and "Applied" not in again.stdout
    assert "logs:PutRetentionPolicy" not in calls


def test_fix_declined_changes_nothing(aws, log_groups, trail):
    result, calls = calls_during("fix", "--controls", RETENTION, input="n\n")
    assert result.exit_code == 1
    assert "Apply 1 fixes in account" in result.output and "Aborted!" in result.output
    assert "logs:PutRetentionPolicy" not in calls
    assert retention(aws, "/aws/lambda/orders-api") is None


@pytest.mark.parametrize("mode", ["dry-run", "off"])
def test_fix_holds_controls_not_in_auto(aws, log_groups, monkeypatch, mode, trail):
    monkeypatch.setenv("LOGBASELINE_REMEDIATION_MODES", f"{RETENTION}={mode}")
    result, calls = calls_during("fix", "--yes", "--controls", RETENTION)
    assert result.exit_code == 0
    assert "logs:put_retention_policy(logGroupName=/aws/lambda/orders-api" in result.stdout, "still planned"
    assert "Nothing to apply (1 held by mode dry-run or off" in result.stdout
    assert "logs:PutRetentionPolicy" not in calls
    assert retention(aws, "/aws/lambda/orders-api") is None


def test_fix_applies_a_control_set_to_auto_explicitly(aws, monkeypatch, trail):
    aws("guardduty").create_detector(Enable=False)  # guardduty_enabled defaults to off: it costs
    assert "Nothing to apply" in cli("fix", "--yes", "--controls", "guardduty_enabled").stdout
    monkeypatch.setenv("LOGBASELINE_REMEDIATION_MODES", "guardduty_enabled=auto")
    result = cli("fix", "--yes", "--controls", "guardduty_enabled")
    assert result.exit_code == 0 and "verified" in result.stdout
    detector = aws("guardduty").list_detectors()["DetectorIds"][0]
    assert aws("guardduty").get_detector(DetectorId=detector)["Status"] == "ENABLED"


def test_plan_and_fix_leave_an_exempt_resource_alone(aws, log_groups, trail):
    tag = f"{RETENTION} until=2099-01-01 reason=archive app"
    aws("logs").tag_log_group(logGroupName="/aws/lambda/orders-api", tags={TAG_KEY: tag})
    planned, manual = cli("plan", "--controls", RETENTION).stdout.split("Not fixable")
    assert "/aws/lambda/orders-api" not in planned
    assert "group:/aws/lambda/orders-api" in manual and "exempt until 2099-01-01: archive app" in manual
    result, calls = calls_during("fix", "--yes", "--controls", RETENTION)
    assert result.exit_code == 0 and "Nothing to apply." in result.stdout
    assert "logs:PutRetentionPolicy" not in calls


# --- replay ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "rule", "control", "resource"),
    [
        ("cloudtrail/logs-CreateLogGroup.json", "CloudTrailApiCallRule", RETENTION, "/aws/lambda/orders-api"),
        ("cloudtrail/logs-PutRetentionPolicy.json", "TamperEventRule", RETENTION, "/aws/lambda/orders-api"),
        (
            "config/oversized-AWS-EC2-VPC.json",
            "ConfigOversizedItemChangeRule",
            "vpc_flow_logs_enabled",
            "vpc-0a1b2c3d4e5f67890",
        ),
    ],
)
def test_replay_routes_a_sample_event_through_the_templates_rules(sample, rule, control, resource):
    result = cli("replay", str(EVENTS / sample), "--template", str(ROOT / "template.yaml"))
    assert result.exit_code == 0, result.output
    queue = "PriorityEvaluationQueue" if rule == "TamperEventRule" else "EvaluationQueue"
    assert f"rule {rule} matches -> {queue}" in result.stdout
    targets = result.stdout.split("Targets")[1]
    assert any(control in line and resource in line for line in targets.splitlines())


def test_replay_evaluate_gives_the_verdicts_read_only(aws, log_groups):
    result, calls = calls_during(
        "replay", str(EVENTS / "cloudtrail/logs-PutRetentionPolicy.json"), "--template", str(ROOT / "template.yaml"),
        "--evaluate",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    verdicts = result.stdout.split("Verdicts (1):")[1]
    assert "FAILED" in verdicts and "events never expire" in verdicts
    assert calls and all(c.split(":", 1)[1].startswith(READ_PREFIXES) for c in calls)


def test_replay_a_failed_call_matches_no_rule(tmp_path):
    event = load_event("cloudtrail/logs-PutRetentionPolicy.json")
    event["detail"]["errorCode"] = "AccessDenied"
    path = tmp_path / "denied.json"
    path.write_text(json.dumps(event))
    result = cli("replay", str(path), "--template", str(ROOT / "template.yaml"))
    assert result.exit_code == 0
    assert "No rule of" in result.stdout and "Targets" not in result.stdout


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (json.dumps({"detail-type": "AWS API Call via CloudTrail", "source": "aws.logs"}), "event.detail is missing"),
        (json.dumps({"detail-type": "Something Else", "detail": {}}), "unknown detail-type 'Something Else'"),
        ("{not json", "Expecting property name"),
    ],
)
def test_replay_rejects_a_malformed_event_with_exit_2(tmp_path, content, reason):
    path = tmp_path / "event.json"
    path.write_text(content)
    result = cli("replay", str(path), "--template", str(ROOT / "template.yaml"))
    assert result.exit_code == 2
    assert "the engine cannot route this event" in result.output and reason in result.output


# --- the HTML report ------------------------------------------------------------------------


def test_html_report_counts_failing_rows_and_escapes_names(aws, account_id, log_groups, tmp_path):
    aws("logs").create_log_group(logGroupName=HOSTILE)
    path = tmp_path / "report.html"
    result = cli("scan", "--format", "html", "--output", str(path), "--controls", RETENTION)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and f"wrote {path}" in result.stderr
    html = path.read_text()
    assert '<div class="card fail"><div class="n">2</div><div class="l">FAILED</div>' in html
    assert '<div class="card pass"><div class="n">1</div><div class="l">PASSED</div>' in html
    assert html.count('<tr class="failing">') == 2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html, "nothing from AWS reaches the page unescaped, and the page has no script"
    assert f'href="docs/controls.md#{RETENTION}"' in html
    assert "<svg" in html and "src=" not in html and "<link" not in html, "self-contained"
    assert "Set the retention to the floor" in html, "the control's fix description"


def test_fix_records_every_fix_in_the_audit_trail(aws, account_id, log_groups, trail):
    result = cli("fix", "--yes", "--controls", RETENTION)
    assert result.exit_code == 0, result.output
    [item] = trail_items(aws, trail)
    assert item["resource_id"] == log_group_arn(account_id, "/aws/lambda/orders-api")
    assert (item["control_id"], item["mode"], item["outcome"]) == (RETENTION, "auto", "verified")
    assert "retentionInDays=365" in item["changes"] and item["before"].startswith("events never expire")
    assert item["trigger"].startswith("logbaseline-cli arn:aws:"), "who ran the command"
    assert f"Recorded in the audit trail {trail}" in result.stdout
    shown = cli("history", "--table", trail)
    assert shown.exit_code == 0 and "/aws/lambda/orders-api" in shown.stdout and "verified" in shown.stdout


def test_fix_obeys_the_fix_limit_as_the_remediator(aws, log_groups, trail, monkeypatch):
    monkeypatch.setenv("LOGBASELINE_FIX_LIMIT", "2")
    for _ in range(2):  # fixed, then undone by someone
        assert cli("fix", "--yes", "--controls", RETENTION).exit_code == 0
        aws("logs").delete_retention_policy(logGroupName="/aws/lambda/orders-api")
    result, calls = calls_during("fix", "--yes", "--controls", RETENTION)
    assert result.exit_code == 1, "a stopped fix is not done"
    said = " ".join(result.stdout.split())  # the detail wraps under its row
    assert "stopped" in said and "auto-fix stopped" in said
    assert "logs:PutRetentionPolicy" not in calls
    assert retention(aws, "/aws/lambda/orders-api") is None
    assert [i["outcome"] for i in trail_items(aws, trail)] == ["verified", "verified", "stopped"]


def test_fix_needs_the_audit_trail_or_says_it_goes_without(aws, log_groups):
    result = cli("fix", "--yes", "--controls", RETENTION)
    assert result.exit_code == 2 and "pass --table <HistoryTableName>" in result.output
    assert retention(aws, "/aws/lambda/orders-api") is None
    missing = cli("fix", "--yes", "--controls", RETENTION, "--table", "nope")
    assert missing.exit_code == 1 and "no history table 'nope' in us-east-1" in missing.output
    assert retention(aws, "/aws/lambda/orders-api") is None, "checked before any fix"
    without = cli("fix", "--yes", "--controls", RETENTION, "--no-audit-trail")
    assert without.exit_code == 0 and "verified" in without.stdout


def test_plan_names_the_missing_setting_of_each_fix_that_cannot_run(aws):
    """No destination configured: each blocked fix says which setting to set, by the stack's name and the
    variable's, and the recorder without a delivery channel says what to create."""
    demo.seed_gaps(aws)
    aws("config").delete_delivery_channel(DeliveryChannelName="default")
    expected = {
        "vpc_flow_logs_enabled": [("flow_log_destination", "parameter FlowLogDestination")],
        "vpc_dns_query_logging_enabled": [
            ("query_log_config_id", "parameter QueryLogConfigId"),
            ("query_log_destination_arn", "parameter QueryLogDestinationArn"),
        ],
        "elb_access_logs_enabled": [("elb_access_log_bucket", "parameter ElbAccessLogBucket")],
        "s3_bucket_server_access_logging_enabled": [("access_log_bucket", "parameter AccessLogBucket")],
        "cloudtrail_kms_encryption_enabled": [("cloudtrail_kms_key_arn", "parameter CloudTrailKmsKeyArn")],
    }
    _, manual = Run.from_options(None, ",".join(expected) + ",config_recorder_active").plan()
    why = {o.control.id: why_not_fixable(o) for o in manual}
    for control_id, settings in expected.items():
        for setting, stack_name in settings:
            variable = f"LOGBASELINE_{setting.upper()}"
            assert f"{setting} is not set (the stack's {stack_name}, variable {variable})" in why[control_id]
    assert "no AWS Config delivery channel" in why["config_recorder_active"]
    assert "put-delivery-channel" in why["config_recorder_active"]
    # The command says the same, in its table.
    manual_text = cli("plan").stdout.split("Not fixable")[1]
    assert "outside what the fix does" not in manual_text
    assert all(name in manual_text for name in ("LOGBASELINE_FLOW_LOG_DESTINATION", "FlowLogDestination"))


def test_plan_and_fix_tables_fit_120_columns(aws, trail):
    demo.seed_gaps(aws)
    for args in (["plan"], ["fix", "--yes", "--controls", RETENTION], ["history", "--table", trail], ["controls"]):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
        assert max(map(len, result.stdout.splitlines())) <= 120, args


# --- several accounts -------------------------------------------------------------------------


MEMBERS = ("200000000001", "200000000002", "200000000003")


def test_scan_reads_member_accounts_through_a_role_and_reports_an_unreachable_one(aws, account_id, monkeypatch):
    from tests.doubles import READ_ROLE, MemberRoles, member_clients

    roles = MemberRoles.install(monkeypatch)
    for member in MEMBERS[:2]:  # the third never got the role
        roles.deploy_member_stack(member)
        member_clients(member, "us-east-1")("logs").create_log_group(logGroupName=f"/app/{member}")
    accounts = ",".join(MEMBERS)
    result = cli("scan", "--format", "json", "--controls", RETENTION, "--accounts", accounts, "--role-name", READ_ROLE)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    judged = {r["account_id"]: r for r in rows if r["status"] != "ERROR"}
    assert set(judged) == set(MEMBERS[:2]), "each reachable member, read with its own role, and nothing else"
    assert all(judged[m]["resource_id"].endswith(f":{m}:log-group:/app/{m}") for m in MEMBERS[:2])
    [unreachable] = [r for r in rows if r["status"] == "ERROR"]
    assert unreachable["account_id"] == MEMBERS[2] and "AccessDenied" in unreachable["reason"]
    assert unreachable["resource_id"] == f"arn:aws:iam::{MEMBERS[2]}:role/{READ_ROLE}"
    table = cli("scan", "--controls", RETENTION, "--accounts", accounts, "--role-name", READ_ROLE, "--fail-on", "error")
    assert table.exit_code == FAIL_ON_EXIT_CODE
    assert table.stdout.splitlines()[0].split() == ["severity", "status", "control_id", "account", "region", "resource"]
    assert max(map(len, table.stdout.splitlines())) <= 120


def test_scan_accounts_options_are_checked_before_any_call(aws):
    result = cli("scan", "--accounts", "organization")
    assert result.exit_code == 2 and "--accounts needs --role-name" in result.output
    result = cli("scan", "--accounts", "12345", "--role-name", "r")
    assert result.exit_code == 2 and "--accounts: 12345 is not a 12-digit account id" in result.output


def test_scan_organization_lists_the_active_accounts(aws, account_id, monkeypatch):
    from tests.doubles import READ_ROLE, MemberRoles, member_clients

    roles = MemberRoles.install(monkeypatch)
    organizations = aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    created = [
        organizations.create_account(Email=f"member{n}@example.com", AccountName=f"member{n}")["CreateAccountStatus"]
        for n in range(2)
    ]
    members = [c["AccountId"] for c in created]
    roles.deploy_member_stack(members[0])
    member_clients(members[0], "us-east-1")("logs").create_log_group(logGroupName="/app/member")
    result = cli(
        "scan", "--format", "json", "--controls", RETENTION, "--accounts", "organization", "--role-name", READ_ROLE
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["account_id"] for r in rows if r["status"] == "FAILED"} == {members[0]}
    assert {r["account_id"] for r in rows if r["status"] == "ERROR"} == {members[1]}


# --- OCSF ------------------------------------------------------------------------------------


def test_scan_ocsf_gives_compliance_findings_the_ocsf_models_accept(aws, account_id, log_groups):
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.objects.cloud import Cloud
    from py_ocsf_models.objects.compliance import Compliance
    from py_ocsf_models.objects.finding_info import FindingInformation

    tag = f"{RETENTION} until=2099-01-01 reason=archive app"
    aws("logs").tag_log_group(logGroupName="/aws/lambda/orders-api", tags={TAG_KEY: tag})
    result = cli("scan", "--format", "ocsf", "--controls", RETENTION)
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    assert len(findings) == 2
    for finding in findings:
        ComplianceFinding.model_validate(finding)  # required fields and types, as the OCSF models hold them
        # and no field the models do not know (pydantic would ignore a misspelled one), but the cloud profile's
        assert finding["metadata"]["profiles"] == ["cloud"]
        Cloud.model_validate(finding["cloud"])
        assert set(finding) - {"cloud"} <= set(ComplianceFinding.model_fields)
        assert set(finding["compliance"]) <= set(Compliance.model_fields)
        assert set(finding["finding_info"]) <= set(FindingInformation.model_fields)
        assert (finding["class_uid"], finding["type_uid"], finding["severity"]) == (2003, 200301, "Medium")
    by_resource = {f["resources"][0]["uid"]: f for f in findings}
    orders = by_resource[log_group_arn(account_id, "/aws/lambda/orders-api")]
    assert orders["finding_info"]["uid"] == finding_id(
        RETENTION, account_id, "us-east-1", orders["resources"][0]["uid"]
    )
    assert (orders["compliance"]["status_id"], orders["status"]) == (3, "Suppressed"), "failed, exempt: suppressed"
    assert orders["unmapped"]["exemption"] | {"note": ""} == {
        "applies": True, "source": "tag", "until": "2099-01-01", "reason": "archive app", "note": ""
    }  # fmt: skip
    assert orders["status_detail"].startswith("exempt until 2099-01-01")
    reporting = by_resource[log_group_arn(account_id, "/aws/lambda/reporting")]
    assert (reporting["compliance"]["status_id"], reporting["status"]) == (1, "New")
    assert "Security Hub CloudWatch.16" in reporting["compliance"]["requirements"]
