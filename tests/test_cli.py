"""`logbaseline scan` against a moto server, as a person or a pipeline would run it."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from logbaseline import demo, operations, tables
from logbaseline.aws import Clients
from logbaseline.cli import main
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.engine import AccountClients
from logbaseline.engine import scan as engine_scan

from tests.test_shared_reads import counting_session

FIELDS = set(tables.FIELDS)
assert FIELDS >= {"control_id", "account_id", "region", "resource_type", "resource_id", "status", "reason", "severity"}


def scan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", *args])
    return result.exit_code, result.output


def test_scan_json_has_one_object_per_control_and_resource(aws, account_id):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    Clients("eu-west-1")("logs").create_log_group(logGroupName="/aws/lambda/eu-api")
    Clients("eu-west-1")("logs").put_retention_policy(logGroupName="/aws/lambda/eu-api", retentionInDays=400)
    code, output = scan(
        "--format", "json", "--regions", "us-east-1,eu-west-1", "--controls", "logs_log_group_retention_bounded"
    )
    assert code == 0
    rows = json.loads(output)
    assert all(set(row) == FIELDS for row in rows)
    by_id = {row["resource_id"]: row for row in rows}
    assert by_id[f"arn:aws:logs:us-east-1:{account_id}:log-group:/aws/lambda/orders-api"]["status"] == "FAILED"
    eu = by_id[f"arn:aws:logs:eu-west-1:{account_id}:log-group:/aws/lambda/eu-api"]
    assert (eu["status"], eu["region"], eu["account_id"], eu["resource_type"]) == (
        "PASSED",
        "eu-west-1",
        account_id,
        "Other",
    )


def test_scan_covers_every_control_and_changes_nothing(aws, account_id, monkeypatch):
    seeded = demo.seed_gaps(aws)  # a gap for every control
    # logs_centralized is not available without an archive account: the demo's, as the demo runs with it
    monkeypatch.setenv("LOGBASELINE_LOG_ARCHIVE_ACCOUNT_ID", seeded.environment["LOGBASELINE_LOG_ARCHIVE_ACCOUNT_ID"])
    # nor the optional Security Lake and Object Lock controls without their settings
    for variable in ("LOGBASELINE_SECURITY_LAKE_ACCOUNT_ID", "LOGBASELINE_TRAIL_BUCKET_OBJECT_LOCK"):
        monkeypatch.setenv(variable, seeded.environment[variable])
    before = aws("logs").describe_log_groups()["logGroups"]
    code, output = scan("--format", "json")
    assert code == 0
    rows = json.loads(output)
    assert {row["control_id"] for row in rows if row["status"] == "FAILED"} == set(REGISTRY) - set(demo.NOT_SEEDED)
    assert aws("logs").describe_log_groups()["logGroups"] == before, "scan is read-only"
    assert aws("ec2").describe_flow_logs()["FlowLogs"] == []
    assert aws("cloudtrail").get_trail_status(Name="management-events")["IsLogging"] is False


def test_scan_table_is_for_people(aws):
    code, output = scan("--format", "table", "--controls", "cloudtrail_multi_region_logging")
    assert code == 0
    assert output.splitlines()[:2] == ["region us-east-1", output.splitlines()[1]]
    assert output.splitlines()[1].split() == ["severity", "status", "control_id", "resource"]
    assert "no multi-region trail covers this account" in output


def test_unknown_control_or_bad_setting_is_a_usage_error(aws, monkeypatch):
    code, output = scan("--controls", "nope")
    assert code == 2 and "--controls: unknown control id 'nope'" in output
    monkeypatch.setenv("LOGBASELINE_RETENTION_FLOOR_DAYS", "100")
    code, output = scan()
    assert code == 2 and "retention_floor_days" in output


def test_controls_lists_the_catalogue():
    result = CliRunner().invoke(main, ["controls"])
    assert result.exit_code == 0
    assert all(control_id in result.output for control_id in REGISTRY)


def test_scan_judges_the_controls_together_and_reads_each_page_once(aws, account_id, monkeypatch):
    """Both log-group controls list the same log groups: one scan sends the listing once, as the evaluator does."""
    for name in ("/app/one", "/app/two"):
        aws("logs").create_log_group(logGroupName=name)
    session, asked, sent = counting_session()
    monkeypatch.setattr(operations, "AccountClients", lambda account, _session: AccountClients(account, session))
    controls = "logs_log_group_retention_bounded,logs_log_group_kms_encryption_enabled"
    code, output = scan("--format", "json", "--controls", controls)
    assert code == 0, output
    assert {row["control_id"] for row in json.loads(output)} == set(controls.split(","))
    assert asked["DescribeLogGroups"] == 2 and sent["DescribeLogGroups"] == 1, (asked, sent)


def test_scan_reports_each_control_and_region_as_it_is_judged(aws, account_id):
    judged = []
    outcomes = engine_scan(
        AccountClients(account_id),
        account_id,
        ["us-east-1", "eu-west-1"],
        ["logs_log_group_retention_bounded", "guardduty_enabled"],
        on_done=lambda target: judged.append((target.scope.region, target.control.id)),
    )
    assert sorted(judged) == sorted(
        (region, control)
        for region in ("us-east-1", "eu-west-1")
        for control in ("logs_log_group_retention_bounded", "guardduty_enabled")
    )
    assert {(o.region, o.control.id) for o in outcomes} >= {
        (r, "guardduty_enabled") for r in ("us-east-1", "eu-west-1")
    }


def test_table_fits_120_columns_severity_first(aws):
    demo.seed_gaps(aws)
    code, output = scan("--regions", "us-east-1,eu-west-1")
    assert code == 0
    lines = output.splitlines()
    assert max(map(len, lines)) <= 120, max(lines, key=len)
    assert lines[0].split() == ["severity", "status", "control_id", "region", "resource"]
    severities = [line.split()[0] for line in lines[2:] if line[:1].strip()]  # a result's first line
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]
    assert severities == sorted(severities, key=order.index) and severities[0] == "CRITICAL"


def test_filters_by_severity_and_status_and_excluded_controls(aws):
    demo.seed_gaps(aws)
    code, output = scan("--format", "json", "--severity", "critical,High", "--status", "failed")
    assert code == 0
    rows = json.loads(output)
    assert rows and {(r["severity"], r["status"]) for r in rows} <= {("CRITICAL", "FAILED"), ("HIGH", "FAILED")}
    expected = {c.id for c in all_controls() if c.severity.value in ("CRITICAL", "HIGH")}
    seeded = expected - set(demo.NOT_SEEDED)
    assert {r["control_id"] for r in rows} == seeded, "every such control fails in the seeded account"
    code, output = scan("--format", "json", "--exclude-controls", ",".join(sorted(expected)))
    assert code == 0 and not {r["control_id"] for r in json.loads(output)} & expected
    code, output = scan("--severity", "hihg")
    assert code == 2 and "--severity: 'hihg' is not one of" in output and "(did you mean HIGH?)" in output


def test_fail_on_counts_only_the_filtered_results(aws):
    demo.seed_gaps(aws)
    assert scan("--severity", "critical", "--fail-on", "failed")[0] == 3  # the public trail bucket
    trail_bucket = f"org-cloudtrail-logs-{aws('sts').get_caller_identity()['Account']}"
    aws("s3").put_public_access_block(
        Bucket=trail_bucket,
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
        ),
    )
    aws("s3").delete_bucket_policy(Bucket=trail_bucket)  # its grant to an account outside the organization
    tampered = ("--exclude-controls", "cloudtrail_log_integrity_verified")  # the seeded deleted log file: CRITICAL
    assert scan("--severity", "critical", "--fail-on", "failed", *tampered)[0] == 0, "MEDIUM failures filtered out"


def test_csv_has_a_header_and_one_line_per_result(aws):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    code, output = scan("--format", "csv", "--controls", "logs_log_group_retention_bounded,guardduty_enabled")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(output)))
    assert list(rows[0]) == [*tables.FIELDS, *tables.EXEMPTION_COLUMNS]
    assert [(r["control_id"], r["severity"], r["status"]) for r in rows] == [
        ("guardduty_enabled", "HIGH", "FAILED"),
        ("logs_log_group_retention_bounded", "MEDIUM", "FAILED"),
    ]


def test_an_empty_result_says_so_and_repeated_controls_count_once(aws):
    code, output = scan("--controls", "logs_log_group_retention_bounded,logs_log_group_retention_bounded")
    assert code == 0 and output.strip() == "No results: 1 controls in 1 regions"
    aws("logs").create_log_group(logGroupName="/a")
    code, output = scan("--format", "json", "--controls", "logs_log_group_retention_bounded," * 3)
    assert len(json.loads(output)) == 1


def test_compliance_gives_each_requirement_of_the_framework_its_status(aws):
    result = CliRunner().invoke(main, ["compliance", "--framework", "CIS-1.4", "--format", "json"])
    assert result.exit_code == 0, result.output
    empty = {r["requirement"]: r["status"] for r in json.loads(result.stdout)}
    # An empty account: no trail (3.1 fails, the trail's own recommendations have nothing to judge), no
    # recorder (3.5), and moto's default VPC has no flow log (3.9).
    assert empty == {
        "3.1": "FAILED", "3.2": "NOT_APPLICABLE", "3.3": "NOT_APPLICABLE", "3.4": "NOT_APPLICABLE",
        "3.5": "FAILED", "3.6": "NOT_APPLICABLE", "3.7": "NOT_APPLICABLE", "3.9": "FAILED",
    }  # fmt: skip
    demo.seed_gaps(aws)
    result = CliRunner().invoke(main, ["compliance", "--framework", "cis-3.0", "--format", "json", "--fail-on-failed"])
    assert result.exit_code == 3
    rows = json.loads(result.stdout)
    assert [r["requirement"] for r in rows] == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.7", "3.8", "3.9"]
    assert {r["status"] for r in rows} == {"FAILED"}
    assert all(r["framework"] == "CIS AWS Foundations Benchmark v3.0.0" for r in rows)
    vpc = next(r for r in rows if r["requirement"] == "3.7")
    assert vpc["controls"] == ["vpc_flow_logs_enabled"] and vpc["failed"] == 2  # the seeded VPC and the default one


def test_compliance_fsbp_lists_the_security_hub_controls():
    result = CliRunner().invoke(main, ["compliance", "--framework", "nist"])
    assert result.exit_code == 2 and "'nist' is not one of" in result.output
    from logbaseline import compliance

    ids = [r.id for r in compliance.requirements("fsbp")]
    assert "CloudTrail.1" in ids and "EC2.6" in ids and ids.index("EC2.6") < ids.index("ELB.5")


def test_output_dir_writes_each_format_once_with_the_account_and_time(aws, account_id, tmp_path):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    folder = tmp_path / "reports"
    args = ["--controls", "logs_log_group_retention_bounded", "--output-dir", str(folder)]
    code, output = scan("--format", "json,CSV,ocsf,asff,html,table", *args)
    assert code == 0, output
    written = sorted(p.name for p in folder.iterdir())
    assert len(written) == 6 and all(name.startswith(f"logbaseline-{account_id}-") for name in written)
    assert {name.split(".", 1)[1] for name in written} == {"json", "csv", "ocsf.json", "asff.json", "html", "txt"}
    by_ext = {p.name.split(".", 1)[1]: p for p in folder.iterdir()}
    assert json.loads(by_ext["json"].read_text())[0]["status"] == "FAILED"
    assert json.loads(by_ext["ocsf.json"].read_text())[0]["class_uid"] == 2003
    assert "<html" in by_ext["html"].read_text()
    code, output = scan("--format", "json,csv")
    assert code == 2 and "several formats need --output-dir DIR" in output
    code, output = scan("--format", "jsno")
    assert code == 2 and "(did you mean JSON?)" in output
    code, output = scan("--output-dir", str(tmp_path / "no" / "such"))
    assert code == 2 and "does not exist" in output


def test_services_filter_the_controls(aws):
    demo.seed_gaps(aws)
    code, output = scan("--format", "json", "--services", "S3,logs")
    assert code == 0
    assert {r["control_id"].split("_")[0] for r in json.loads(output)} == {"s3", "logs"}
    code, output = scan("--services", "cloudtrial")
    assert code == 2 and "--services: 'cloudtrial' is not one of" in output and "(did you mean cloudtrail?)" in output
