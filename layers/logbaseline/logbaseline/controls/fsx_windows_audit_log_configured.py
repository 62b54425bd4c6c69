"""An FSx for Windows File Server file system audits who opens its files, folders and shares, to a log destination."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

FS_ID = r"fs-[0-9a-f]+"
OFF = "DISABLED"
GONE = ("DELETING",)


def file_system_arn(scope: Scope) -> str:
    named = scope.resource_id or ""
    if named.startswith("arn:"):
        return named
    return f"arn:{partition(scope.region)}:fsx:{scope.region}:{scope.account_id}:file-system/{named}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    named = {"FileSystemIds": [file_system_arn(scope).rsplit("/", 1)[-1]]} if scope.resource_id else {}
    fsx = clients("fsx")
    try:
        pages = fsx.get_paginator("describe_file_systems").paginate(**named)
        systems = [s for page in pages for s in page["FileSystems"]]
    except fsx.exceptions.FileSystemNotFound:
        return []  # deleted since the event
    resources = []
    for system in systems:
        if system.get("FileSystemType") != "WINDOWS" or system.get("Lifecycle") in GONE:
            continue
        audit = (system.get("WindowsConfiguration") or {}).get("AuditLogConfiguration") or {}
        state = {
            "id": system["FileSystemId"],
            "files": audit.get("FileAccessAuditLogLevel") or OFF,
            "shares": audit.get("FileShareAccessAuditLogLevel") or OFF,
            "destination": audit.get("AuditLogDestination") or "",
        }
        tags = {t["Key"]: t["Value"] for t in system.get("Tags", [])}
        resources.append(Resource(scope.account_id, scope.region, system["ResourceARN"], state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"FSx for Windows file system {state['id']}"
    unaudited = [what for what, key in (("files and folders", "files"), ("file shares", "shares")) if state[key] == OFF]
    if unaudited:
        return failed(f"{label} does not audit access to its {' or its '.join(unaudited)}")
    if not state["destination"]:
        return failed(f"{label} audits access but names no destination for the audit logs")
    return passed(
        f"{label} audits file access ({state['files']}) and share access ({state['shares']}) to {state['destination']}"
    )


CONTROL = Control(
    id="fsx_windows_audit_log_configured",
    title="FSx for Windows File Server file systems audit file and share access",
    description=(
        "A Windows file system's AuditLogConfiguration audits both file and folder access and file share access "
        "(neither level DISABLED) and names its destination (a CloudWatch Logs log group or a Firehose stream). "
        "Other FSx file system types are not judged."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no FSx file system type
    related_requirements=(SEC04_BP01,),  # AWS Config fsx-windows-audit-log-configured (controls/_parity.py)
    collect=collect,
    evaluate=evaluate,
    resource_id=file_system_arn,
    remediation_text=(
        "Turn on file access auditing (UpdateFileSystem WindowsConfiguration.AuditLogConfiguration, levels other "
        "than DISABLED, a destination whose name starts /aws/fsx or aws-fsx), and set the audit SACLs on the data "
        "you need to audit; the file system needs a throughput capacity of at least 32 MBps."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "fsx.amazonaws.com",
            ("CreateFileSystem", "CreateFileSystemFromBackup", "UpdateFileSystem"),
            "responseElements.fileSystem.fileSystemId || requestParameters.fileSystemId",
            FS_ID,
        ),
    ),
    read_actions=("fsx:DescribeFileSystems",),
    default_mode=Mode.OFF,
    fix_description="none: the destination and the data's audit SACLs are for a person to choose.",
)
