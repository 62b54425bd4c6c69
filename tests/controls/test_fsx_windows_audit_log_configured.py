"""fsx_windows_audit_log_configured: the pure verdict, AWS's answer through botocore's model, and moto round trips.

moto echoes WindowsConfiguration as it was sent (no AuditLogConfiguration unless given) and has no UpdateFileSystem
(docs/emulator-gaps.md): the round trips create file systems in each state; a Stubber holds AWS's answer."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from logbaseline.controls.fsx_windows_audit_log_configured import CONTROL, file_system_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ACCOUNT = "123456789012"
FS = "fs-0123456789abcdef0"  # the samples' file system
ARN = f"arn:aws:fsx:us-east-1:{ACCOUNT}:file-system/{FS}"
GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/fsx/windows-audit"


@pytest.mark.parametrize(
    ("files", "shares", "destination", "status", "phrase"),
    [
        ("SUCCESS_AND_FAILURE", "FAILURE_ONLY", GROUP, Status.PASSED, f"share access (FAILURE_ONLY) to {GROUP}"),
        ("DISABLED", "DISABLED", "", Status.FAILED, "its files and folders or its file shares"),
        ("SUCCESS_ONLY", "DISABLED", GROUP, Status.FAILED, "does not audit access to its file shares"),
        ("DISABLED", "SUCCESS_ONLY", GROUP, Status.FAILED, "does not audit access to its files and folders"),
        ("SUCCESS_ONLY", "SUCCESS_ONLY", "", Status.FAILED, "names no destination"),
    ],
)
def test_evaluate(files, shares, destination, status, phrase):
    state = {"id": FS, "files": files, "shares": shares, "destination": destination}
    verdict = CONTROL.evaluate(Resource(ACCOUNT, REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert file_system_arn(Scope(ACCOUNT, REGION, FS)) == ARN == file_system_arn(Scope(ACCOUNT, REGION, ARN))


def test_collect_reads_the_audit_configuration_as_aws_answers_and_skips_other_types():
    fsx = boto3.client("fsx", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    audit = {
        "FileAccessAuditLogLevel": "SUCCESS_AND_FAILURE",
        "FileShareAccessAuditLogLevel": "DISABLED",
        "AuditLogDestination": GROUP,
    }
    windows = {"FileSystemId": FS, "FileSystemType": "WINDOWS", "Lifecycle": "AVAILABLE", "ResourceARN": ARN}
    windows |= {"WindowsConfiguration": {"AuditLogConfiguration": audit}, "Tags": [{"Key": "team", "Value": "files"}]}
    other = "fs-0b1c2d3e4f5a6b7c8"
    lustre = {"FileSystemId": other, "FileSystemType": "LUSTRE", "ResourceARN": ARN.replace(FS, other)}
    with Stubber(fsx) as stub:
        stub.add_response("describe_file_systems", {"FileSystems": [windows, lustre]}, {})
        [resource] = CONTROL.collect(lambda service: fsx, Scope(ACCOUNT, REGION))
        stub.add_client_error("describe_file_systems", "FileSystemNotFound", http_status_code=400)
        assert CONTROL.collect(lambda service: fsx, Scope(ACCOUNT, REGION, FS)) == []
        stub.assert_no_pending_responses()
    assert resource.state == {"id": FS, "files": "SUCCESS_AND_FAILURE", "shares": "DISABLED", "destination": GROUP}
    assert resource.tags == {"team": "files"} and CONTROL.evaluate(resource, {}).status is Status.FAILED


# --- round trips on the moto server -------------------------------------------------------


def create(aws, **audit) -> dict:
    subnet = aws("ec2").describe_subnets()["Subnets"][0]["SubnetId"]  # moto's default VPC
    windows = {"ActiveDirectoryId": "d-90670a1b2c", "ThroughputCapacity": 32} | audit
    return aws("fsx").create_file_system(
        FileSystemType="WINDOWS", StorageCapacity=32, SubnetIds=[subnet], WindowsConfiguration=windows
    )["FileSystem"]


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def naming(event: dict, file_system: str) -> dict:
    """The sample event, naming the emulator's file system instead of the sample's."""
    event["detail"]["responseElements"]["fileSystem"]["fileSystemId"] = file_system
    return event


def test_round_trip_created_without_auditing_then_deleted(aws, account_id):
    """CreateFileSystem (auditing off) -> FAILED, no fix; the file system deleted -> the finding is archived."""
    system = create(aws)
    service = make_service(account_id)
    report = service.evaluate_event(naming(load_event("cloudtrail/fsx-CreateFileSystem.json"), system["FileSystemId"]))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(system["ResourceARN"], Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, system["ResourceARN"])]["Compliance"]["Status"] == "FAILED"

    aws("fsx").delete_file_system(FileSystemId=system["FileSystemId"])
    report = service.evaluate_event(naming(load_event("cloudtrail/fsx-UpdateFileSystem.json"), system["FileSystemId"]))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, system["ResourceARN"])]
    assert findings_by_resource(aws)[(CONTROL.id, system["ResourceARN"])]["RecordState"] == "ARCHIVED"


def test_collect_every_windows_file_system_of_the_region(aws, account_id):
    quiet = create(aws)["FileSystemId"]
    audit = {"FileAccessAuditLogLevel": "SUCCESS_ONLY", "FileShareAccessAuditLogLevel": "SUCCESS_AND_FAILURE"}
    audited = create(aws, AuditLogConfiguration=audit | {"AuditLogDestination": GROUP})["FileSystemId"]
    found = {r.state["id"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {quiet: Status.FAILED, audited: Status.PASSED}
