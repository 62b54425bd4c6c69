"""A trail's delivered logs are verified continuously against its signed digests, not only when someone asks.

`aws cloudtrail validate-logs`, run on every sweep: follow the digest chain in the trail bucket, check each digest's
signature and each log file's hash (controls/_digests.py). The last intact digest per trail and region is kept as a
checkpoint (logbaseline/checkpoints.py), so a run reads only the digests delivered since; a problem keeps the
checkpoint before it, so the finding stays FAILED until the file is restored or a person looks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from logbaseline import checkpoints
from logbaseline.aws import Clients
from logbaseline.controls._digests import Link, digest_location, key_at, new_digest_keys, public_keys, verify
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, describe_trails, trail_arn
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control, denied
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, not_applicable, passed

FIRST_LOOKBACK = timedelta(hours=24)  # with no checkpoint yet, verify from a day back
MAX_DIGESTS = 24  # per trail and region and run (a day: ~5 s of reads), well inside the evaluator's timeout
SHOWN = 3  # problems named in the finding; the count says how many more


def _logs_here(trail: Mapping[str, Any], scope: Scope) -> bool:
    """The scope's account owns the trail and it delivers digests for the scope's region."""
    here = trail.get("HomeRegion") == scope.region or bool(trail.get("IsMultiRegionTrail"))
    wanted = scope.resource_id in (None, trail["Name"], trail["TrailARN"])
    return here and wanted and trail["TrailARN"].split(":")[4] == scope.account_id


def _moment(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _moment_of_key(key: str) -> datetime:
    return datetime.strptime(key[-24:-8], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    store, now = checkpoints.current(), datetime.now(UTC)
    s3, plans, resources = clients("s3"), [], []
    for trail in (t for t in describe_trails(clients) if _logs_here(t, scope)):
        state: dict[str, Any] = {"name": trail["Name"], "validation": bool(trail.get("LogFileValidationEnabled"))}
        state["organization"] = bool(trail.get("IsOrganizationTrail"))
        resource = Resource(scope.account_id, scope.region, trail["TrailARN"], state)
        resources.append(resource)
        if not state["validation"] or state["organization"]:
            continue
        checkpoint = f"{trail['TrailARN']}#{scope.region}"
        kept = store.get(checkpoint)
        previous = Link(kept["file"], kept["signature"], kept["end"]) if kept else None
        prefix, name = digest_location(trail, scope.account_id, scope.region)
        start = _moment(previous.end) if previous else now - FIRST_LOOKBACK
        try:
            after = key_at(prefix, name, start)
            keys = new_digest_keys(s3, trail["S3BucketName"], prefix, name, after, MAX_DIGESTS + 1)
        except ClientError as error:
            if not denied(error):
                raise
            resources[-1] = Resource(scope.account_id, scope.region, trail["TrailARN"], state, unreadable=str(error))
            continue
        state.update(checked_from=start.strftime("%Y-%m-%dT%H:%M:%SZ"), more=len(keys) > MAX_DIGESTS)
        plans.append((trail, state, checkpoint, keys[:MAX_DIGESTS], previous))
    moments = [_moment_of_key(key) for _, _, _, keys, _ in plans for key in keys[:1] + keys[-1:]]  # oldest, newest
    end = max([now, *moments])  # a digest stamped after this clock's now (skew) still finds its key
    keyring = public_keys(clients("cloudtrail"), min(moments) - timedelta(hours=1), end) if moments else {}
    for trail, state, checkpoint, keys, previous in plans:
        result = verify(s3, trail["S3BucketName"], keys, keyring, previous)
        state.update(
            problems=[str(p) for p in result.problems],
            digests=result.digests,
            log_files=result.log_files,
            intact_until=result.intact_until.end if result.intact_until else "",
        )
        link = result.intact_until
        if link and link != previous:
            store.advance(checkpoint, link.end, {"file": link.file, "signature": link.signature, "end": link.end})
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if not state["validation"]:
        return not_applicable("log file validation is off: no digest to verify")
    if state["organization"]:
        return not_applicable("an organization trail: its member accounts' digests are not verified here")
    problems = state["problems"]
    if problems:
        more = f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        return failed(f"{len(problems)} integrity problem(s) in the digest chain: {'; '.join(problems[:SHOWN])}{more}")
    later = " (more digests wait for the next run)" if state["more"] else ""
    if not state["digests"]:
        since = state["intact_until"] or state["checked_from"]
        return passed(f"no new digest since {since}; the chain verified so far is intact")
    return passed(
        f"{state['digests']} digest(s) and {state['log_files']} log file(s) verified: signatures, hashes and the "
        f"chain are intact up to {state['intact_until']}{later}"
    )


CONTROL = Control(
    id="cloudtrail_log_integrity_verified",
    title="CloudTrail log files are verified continuously against their signed digests",
    description=(
        "Each sweep does what `aws cloudtrail validate-logs` does, for the digests delivered since the last one: "
        "a missing, altered or unsigned log or digest file, or a broken digest chain, fails with the file and hour."
    ),
    severity=Severity.CRITICAL,
    resource_type="AwsCloudTrailTrail",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=trail_arn,
    remediation_text=(
        "Treat it as an incident: find who changed or deleted the named files (the bucket's access logs and data "
        "events), restore them from a copy or a version, and protect the bucket (Object Lock, MFA delete)."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail", "DeleteTrail"), "requestParameters.name"),
    ),
    read_actions=("cloudtrail:DescribeTrails", "cloudtrail:ListPublicKeys", "s3:GetObject", "s3:ListBucket"),
)
