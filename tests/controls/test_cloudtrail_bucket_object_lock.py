"""cloudtrail_bucket_object_lock: the pure verdict (off by default), no fix, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.cloudtrail_bucket_object_lock import CONTROL, OBJECT_LOCK
from logbaseline.engine.evaluation import evaluate_scope
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

ME, BUCKET = "123456789012", "org-cloudtrail-logs-123456789012"
PARAMS = {"trail_bucket_object_lock": "GOVERNANCE", "retention_floor_days": 365, "retention_ceiling_days": 2557}


def bucket(enabled=True, mode="GOVERNANCE", days=400) -> Resource:
    state = {"name": BUCKET, "trails": ["management-events"], "enabled": enabled, "mode": mode, "days": days}
    return Resource(ME, REGION, f"arn:aws:s3:::{BUCKET}", state)


@pytest.mark.parametrize(
    ("resource", "params", "status", "phrase"),
    [
        (
            bucket(enabled=False, mode=None, days=None),
            {"trail_bucket_object_lock": "off"},
            Status.NOT_APPLICABLE,
            "not required",
        ),
        (
            bucket(enabled=False, mode=None, days=None),
            {},
            Status.FAILED,
            "Object Lock is off: the bucket of trail management-events",
        ),
        (bucket(mode=None, days=None), {}, Status.FAILED, "no default retention: new log files are not locked"),
        (bucket(days=None), {}, Status.FAILED, "no default retention"),  # a mode without a period locks nothing
        (bucket(), {}, Status.PASSED, "locks log files 400 days in GOVERNANCE mode"),
        (bucket(mode="COMPLIANCE"), {}, Status.PASSED, "COMPLIANCE mode"),  # GOVERNANCE asks for at least governance
        (
            bucket(),
            {"trail_bucket_object_lock": "COMPLIANCE"},
            Status.FAILED,
            "GOVERNANCE mode, which a permitted user",
        ),
        (bucket(mode="COMPLIANCE"), {"trail_bucket_object_lock": "COMPLIANCE"}, Status.PASSED, "COMPLIANCE mode"),
        (bucket(days=30), {}, Status.FAILED, "locks log files 30 days, below the floor of 365"),
        (bucket(days=3650), {}, Status.FAILED, "3650 days, above the ceiling of 2557: they cannot be deleted"),
        (bucket(days=365), {}, Status.PASSED, "365 days"),
        (bucket(days=2557), {}, Status.PASSED, "2557 days"),
    ],
)
def test_evaluate(resource, params, status, phrase):
    verdict = CONTROL.evaluate(resource, PARAMS | params)
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_off_by_default_with_no_fix_and_the_steps_in_the_finding():
    assert OBJECT_LOCK.default == "off" and OBJECT_LOCK.allowed == ("off", "GOVERNANCE", "COMPLIANCE")
    assert (CONTROL.remediate, CONTROL.write_actions, CONTROL.default_mode) == (None, (), Mode.OFF)
    assert "cannot be turned off" in CONTROL.remediation_text
    assert "PutObjectLockConfiguration" in CONTROL.remediation_text
    with pytest.raises(ValueError, match="must be one of"):
        OBJECT_LOCK.parse("governance-ish")


# --- round trips on the moto server -------------------------------------------------------------------------------


def trail_bucket(aws, object_lock: bool) -> None:
    aws("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=object_lock)
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName=BUCKET)


def collect(account_id: str, name: str | None = None) -> list[Resource]:
    return CONTROL.collect(Clients(REGION, config=NO_RETRY), Scope(account_id, REGION, name))


def test_round_trip_without_object_lock_fails_then_locked_passes(aws, account_id):
    trail_bucket(aws, object_lock=False)
    environ = {OBJECT_LOCK.variable: "COMPLIANCE", "LOGBASELINE_REMEDIATION_MODES": f"{CONTROL.id}=auto"}
    service = make_service(account_id, **environ)
    report = service.evaluate_event(load_event("cloudtrail/s3-PutObjectLockConfiguration.json"))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    arn = f"arn:aws:s3:::{BUCKET}"
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, False)
    assert outcome.resource.state == {
        "name": BUCKET, "trails": ["management-events"], "enabled": False, "mode": None, "days": None,
    }  # fmt: skip
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []


def test_round_trip_a_locked_bucket_in_years_and_in_days(aws, account_id):
    trail_bucket(aws, object_lock=True)
    [resource] = collect(account_id, BUCKET)
    assert (resource.state["enabled"], resource.state["mode"]) == (True, None)  # on, but no default retention
    assert "no default retention" in CONTROL.evaluate(resource, PARAMS).reason
    s3 = aws("s3")
    rule = {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 2}}
    s3.put_object_lock_configuration(
        Bucket=BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    [resource] = collect(account_id, BUCKET)
    assert (resource.state["mode"], resource.state["days"]) == ("COMPLIANCE", 730)
    assert CONTROL.evaluate(resource, PARAMS | {"trail_bucket_object_lock": "COMPLIANCE"}).status is Status.PASSED
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}
    s3.put_object_lock_configuration(
        Bucket=BUCKET, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    [resource] = collect(account_id, BUCKET)
    assert (resource.state["mode"], resource.state["days"]) == ("GOVERNANCE", 30)
    assert "below the floor" in CONTROL.evaluate(resource, PARAMS).reason


def test_round_trip_only_trail_buckets_are_judged(aws, account_id):
    aws("s3").create_bucket(Bucket="orders-assets-123456789012", ObjectLockEnabledForBucket=False)
    assert collect(account_id) == []
    trail_bucket(aws, object_lock=False)
    assert [r.resource_id for r in collect(account_id)] == [f"arn:aws:s3:::{BUCKET}"]


class ReadsNothing(Clients):
    def __call__(self, service: str, region: str | None = None):
        raise AssertionError(f"{service} was read while Object Lock is not required")


def test_nothing_is_read_while_object_lock_is_not_required(account_id):
    scope = Scope(account_id, REGION)
    assert "is off" in CONTROL.inapplicable(scope, {OBJECT_LOCK.name: "off"})
    assert evaluate_scope(CONTROL, scope, ReadsNothing(REGION), Settings.from_env({})) == []
    assert evaluate_scope(CONTROL, Scope(account_id, REGION, BUCKET), ReadsNothing(REGION), Settings.from_env({})) == []
    assert CONTROL.inapplicable(scope, {OBJECT_LOCK.name: "GOVERNANCE"}) == ""
