"""Ordinary mistakes through the real program (a subprocess): one line on stderr, a documented exit code,
no traceback unless --debug; a denied read is an ERROR row and the scan goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from logbaseline import demo
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.engine.settings import Settings
from logbaseline.errors import COULD_NOT_RUN_EXIT_CODE, FAIL_ON_EXIT_CODE, USAGE_EXIT_CODE
from logbaseline.models import Scope

MOTO_SIGNATURE_GAP = {
    "eks_control_plane_audit_logging_enabled",
    "guardduty_enabled",
    "apigateway_execution_logging_enabled",  # GetRestApis, GetApis
    "apigateway_access_logging_enabled",
    "opensearch_logs_enabled",  # ListDomainNames
    "securityhub_enabled",  # DescribeHub
    "appsync_field_logging_enabled",  # ListGraphqlApis
    "mq_broker_logging_enabled",  # ListBrokers
    "msk_broker_logging_enabled",  # ListClustersV2
    "connect_instance_logging_enabled",  # ListInstances
    "fis_experiment_logging_enabled",  # ListExperimentTemplates
    # the log-bucket reader's ListClustersV2 (MSK broker-log buckets)
    "s3_log_bucket_lifecycle_bounded",
    "s3_bucket_server_access_logging_enabled",
    "s3_log_bucket_not_public",
}
MOTO_GLOBAL_GAP = {"cloudfront_distribution_logging_enabled", "route53_query_logging_enabled"}
PROGRAM = str(Path(sys.executable).with_name("logbaseline"))
AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty home: no ~/.aws of the person running the tests."""
    (tmp_path / ".aws").mkdir()
    return tmp_path


def run(home: Path, *args: str, **environ: str) -> subprocess.CompletedProcess[str]:
    """The program with only the AWS configuration given here (and none from the machine)."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARIABLES}
    env |= {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws/config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws/credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance role to look for
        **environ,
    }
    return subprocess.run([PROGRAM, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def emulator(moto_endpoint: str, **more: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        **more,
    }


def one_line(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, (result.returncode, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert all(w in lines[0] for w in words), lines[0]
    return lines[0]


def test_no_credentials(home, aws):
    result = run(home, "scan", "--region", "us-east-1")
    one_line(result, COULD_NOT_RUN_EXIT_CODE, "no AWS credentials found", "--profile")


def test_no_region(home):
    result = run(home, "scan", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    one_line(result, USAGE_EXIT_CODE, "no AWS region", "--region", "AWS_REGION")


@pytest.mark.parametrize("place", ["group", "command", "environment"])
def test_unknown_profile(home, place):
    args = {
        "group": (["--profile", "nope", "scan"], {}),
        "command": (["scan", "--profile", "nope"], {}),
        "environment": (["scan"], {"AWS_PROFILE": "nope"}),
    }[place]
    result = run(home, *args[0], AWS_REGION="us-east-1", **args[1])
    one_line(result, USAGE_EXIT_CODE, "the AWS profile 'nope' is not in your AWS config files")


def test_unreachable_endpoint(home):
    result = run(
        home, "scan", AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y",
        AWS_REGION="us-east-1", AWS_MAX_ATTEMPTS="1",
    )  # fmt: skip
    one_line(result, COULD_NOT_RUN_EXIT_CODE, "could not reach AWS at http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("args", "environ", "words"),
    [
        (["scan", "--region", "us-eats-1"], {}, ["--region: 'us-eats-1' is not an AWS region", "us-east-1?"]),
        (["scan", "--regions", "eu-west-1,eu-wset-2"], {}, ["--regions: 'eu-wset-2'", "eu-west-2?"]),
        (["scan"], {"AWS_REGION": "eu-wst-1"}, ["AWS_REGION: 'eu-wst-1'", "eu-west-1?"]),
        (["history", "--table", "t", "--region", "us-eats-1"], {}, ["'us-eats-1' is not an AWS region"]),
    ],
)
def test_misspelled_region_is_refused_before_any_call(home, args, environ, words):
    # An endpoint nothing listens on: any call would end in "could not reach", not in this message.
    unreachable = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    one_line(run(home, *args, **(unreachable | environ)), USAGE_EXIT_CODE, *words)


def test_unknown_control_says_what_was_meant(home, moto_endpoint, aws):
    result = run(home, "scan", "--controls", "guardduty_enabld", **emulator(moto_endpoint))
    one_line(result, USAGE_EXIT_CODE, "--controls: unknown control id 'guardduty_enabld'", "guardduty_enabled?")


def test_missing_history_table(home, moto_endpoint, aws):
    result = run(home, "history", "--table", "logbaseline-history", **emulator(moto_endpoint))
    one_line(result, COULD_NOT_RUN_EXIT_CODE, "no history table 'logbaseline-history' in us-east-1", "--region")


def test_output_into_a_missing_folder_is_refused_before_the_scan(home, moto_endpoint, aws, tmp_path):
    # The endpoint is unreachable: the message proves the check came before any call.
    target = tmp_path / "missing" / "scan.json"
    result = run(
        home, "scan", "--output", str(target), AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="y", AWS_REGION="us-east-1",
    )  # fmt: skip
    one_line(result, USAGE_EXIT_CODE, f"--output: the folder {target.parent} does not exist")


def test_debug_shows_the_traceback(home):
    result = run(home, "--debug", "scan", "--region", "us-east-1")
    assert result.returncode == 1 and "Traceback" in result.stderr and "NoCredentialsError" in result.stderr


def test_python_dash_m_is_the_same_program(home):
    result = subprocess.run(
        [sys.executable, "-m", "logbaseline", "--help"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0 and "Usage: logbaseline" in result.stdout and "scan" in result.stdout


def test_fail_on_is_case_insensitive(home, moto_endpoint, aws):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")  # never expires: FAILED
    args = ("scan", "--controls", "logs_log_group_retention_bounded", "--format", "JSON", "--fail-on", "failed")
    result = run(home, *args, **emulator(moto_endpoint))
    assert result.returncode == FAIL_ON_EXIT_CODE, result.stderr
    assert [row["status"] for row in json.loads(result.stdout)] == ["FAILED"]


# --- a principal denied one read ----------------------------------------------------------------------


@pytest.fixture
def denied_describe_log_groups(moto_endpoint: str, aws) -> Iterator[dict[str, str]]:
    """An account with a gap for every control, and the keys of a user allowed everything but
    logs:DescribeLogGroups, with the emulator enforcing IAM from then on."""
    demo.seed_gaps(aws)
    iam = aws("iam")
    iam.create_user(UserName="auditor")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "logs:DescribeLogGroups", "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    enforce(moto_endpoint, "0")  # every request from now on is authenticated and authorized
    try:
        keys = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
        yield emulator(moto_endpoint, **keys)
    finally:
        enforce(moto_endpoint, "inf")


def enforce(endpoint: str, after_requests: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=after_requests.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},  # a form body would reach moto empty
    )
    urllib.request.urlopen(request).close()


def test_a_denied_read_is_an_error_row_and_the_scan_goes_on(home, denied_describe_log_groups):
    result = run(home, "scan", "--format", "json", **denied_describe_log_groups)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = json.loads(result.stdout)
    errors = {r["control_id"]: r["reason"] for r in rows if r["status"] == "ERROR"}
    # Both log-group controls read with DescribeLogGroups: each is one ERROR row, naming the denied action.
    denied = {c for c, reason in errors.items() if "not authorized to perform: logs:DescribeLogGroups" in reason}
    assert denied == {"logs_log_group_kms_encryption_enabled", "logs_log_group_retention_bounded"}
    # moto checks the signature of EKS's, GuardDuty's and Security Hub's GET calls wrongly (docs/emulator-gaps.md).
    assert {c for c, reason in errors.items() if "SignatureDoesNotMatch" in reason} == MOTO_SIGNATURE_GAP
    # Under IAM enforcement moto answers CloudFront's and Route 53's (global, REST-XML) calls with an error body
    # botocore cannot read, so an empty error code (docs/emulator-gaps.md): AWS accepts them.
    assert {c for c, reason in errors.items() if "An error occurred () when calling" in reason} == MOTO_GLOBAL_GAP
    assert set(errors) == denied | MOTO_SIGNATURE_GAP | MOTO_GLOBAL_GAP
    judged = {r["control_id"] for r in rows if r["status"] != "ERROR"}
    unseeded = set(demo.NOT_SEEDED)  # the emulator can hold none of their resources: no rows
    defaults, scope = Settings.from_env({}), Scope(rows[0]["account_id"], rows[0]["region"])
    unseeded |= {c.id for c in all_controls() if c.inapplicable and c.inapplicable(scope, defaults.params(c))}
    assert judged == set(REGISTRY) - set(errors) - unseeded, "every other control has its rows"
    assert len(judged) == len(REGISTRY) - len(denied) - len(MOTO_SIGNATURE_GAP) - len(MOTO_GLOBAL_GAP) - len(unseeded)
    # The same scan as a table, and --fail-on ERROR for a pipeline that must not miss it.
    table = run(home, "scan", "--fail-on", "error", **denied_describe_log_groups)
    assert table.returncode == FAIL_ON_EXIT_CODE
    assert sum(" ERROR " in line for line in table.stdout.splitlines()) == len(errors)


# --- credentials and region, as the AWS CLI finds them ----------------------------------------------------


def regions_of(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stderr
    return {row["region"] for row in json.loads(result.stdout)}


GUARDDUTY = ("scan", "--format", "json", "--controls", "guardduty_enabled")


@pytest.mark.parametrize(
    ("args", "environ", "region"),
    [
        ([], {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "eu-west-1"),
        ([], {"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2"),
        (["--region", "ap-south-1"], {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"}, "ap-south-1"),
    ],
)
def test_region_precedence_is_the_aws_clis(home, moto_endpoint, aws, args, environ, region):
    result = run(home, *GUARDDUTY, *args, **(emulator(moto_endpoint) | environ))
    assert regions_of(result) == {region}


def test_profile_gives_credentials_and_region(home, moto_endpoint, aws):
    (home / ".aws/config").write_text("[profile audit]\nregion = eu-north-1\n")
    (home / ".aws/credentials").write_text("[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    environ = {"AWS_ENDPOINT_URL": moto_endpoint}  # no key, no region in the environment: all from the profile
    assert regions_of(run(home, *GUARDDUTY, "--profile", "audit", **environ)) == {"eu-north-1"}
    assert regions_of(run(home, "--profile", "audit", *GUARDDUTY, **environ)) == {"eu-north-1"}
    assert regions_of(run(home, *GUARDDUTY, **environ, AWS_PROFILE="audit")) == {"eu-north-1"}


def test_regions_all_is_the_accounts_enabled_regions(home, moto_endpoint, aws):
    enabled = {r["RegionName"] for r in aws("ec2").describe_regions()["Regions"]}
    result = run(home, *GUARDDUTY, "--regions", "all", **emulator(moto_endpoint))
    assert regions_of(result) == enabled and len(enabled) > 10


def test_history_reads_the_table_in_aws_region(home, moto_endpoint, aws):
    from logbaseline.aws import Clients

    from tests.test_history import history_table

    history_table(Clients("eu-west-1"))  # the stack's region, not the default one
    result = run(home, "history", "--table", "history", **emulator(moto_endpoint, AWS_REGION="eu-west-1"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["at", "(UTC)"]
    result = run(home, "history", "--table", "history", **emulator(moto_endpoint, AWS_REGION="us-east-1"))
    one_line(result, COULD_NOT_RUN_EXIT_CODE, "no history table 'history' in us-east-1")


def test_a_bad_setting_is_one_line_before_any_call(home):
    result = run(home, "scan", "--region", "us-east-1", LOGBASELINE_REMEDIATION_MODES="guardduty_enabled=sometimes")
    one_line(result, USAGE_EXIT_CODE, "LOGBASELINE_REMEDIATION_MODES", "'guardduty_enabled=sometimes'")
