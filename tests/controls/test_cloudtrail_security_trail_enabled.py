"""cloudtrail_security_trail_enabled: AWS Config's cloudtrail-security-trail-enabled, one trail meeting every practice.

States of the account (one Resource, AWS::::Account:<id>), over its multi-region trails (own and organization):

| multi-region trails                                                      | verdict | why                         |
|--------------------------------------------------------------------------|---------|-----------------------------|
| none (or single-region trails only)                                      | FAILED  | the rule needs multi-region |
| one trail with every practice, logging                                   | PASSED  |                             |
| one trail lacking one practice (each of the rule's conditions, in turn)  | FAILED  | names the practice it lacks |
| one trail with validation but no KMS key, another with KMS, no validation | FAILED | no one trail has all        |
| an organization trail of the management account with every practice      | PASSED |                             |
| a trail that could not be read, and none read passes                      | no verdict (a read failure)           |
The per-practice controls (cloudtrail_multi_region_logging, cloudtrail_log_file_validation_enabled,
cloudtrail_kms_encryption_enabled) judge each practice apart: the split case above passes them all and fails this.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from logbaseline.controls._trails import management_events, read_multi_region_trails
from logbaseline.controls.cloudtrail_security_trail_enabled import CONTROL, PRACTICES
from logbaseline.models import Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ME = "123456789012"
EVERY = dict.fromkeys((practice for practice, _ in PRACTICES), True)


def trail(name="main", organization=False, **lacking) -> dict:
    return {"name": name, "organization": organization, **EVERY, **lacking}


def account(*trails) -> Resource:
    return Resource(ME, REGION, f"AWS::::Account:{ME}", {"trails": list(trails)})


def test_the_practices_are_the_rules_conditions():
    """The rule's seven conditions: multi-region is the trails read at all; logging is logbaseline's own addition."""
    assert [p for p, _ in PRACTICES] == [
        "logging",
        "global_service_events",
        "log_file_validation",
        "kms_key",
        "read_and_write",
        "no_exclusions",
    ]


@pytest.mark.parametrize(("practice", "told"), PRACTICES)
def test_a_trail_lacking_any_one_practice_fails(practice, told):
    verdict = CONTROL.evaluate(account(trail(**{practice: False})), {})
    assert (verdict.status, verdict.fixable) == (Status.FAILED, False)
    assert f"trail main: {told}" in verdict.reason


@pytest.mark.parametrize(
    ("trails", "status", "phrase"),
    [
        ((), Status.FAILED, "no multi-region trail covers this account"),
        ((trail(),), Status.PASSED, "multi-region trail main is logging with global service events"),
        ((trail("org", organization=True),), Status.PASSED, "multi-region organization trail org is logging"),
        (
            (trail("a", kms_key=False), trail("b", log_file_validation=False)),
            Status.FAILED,
            "trail a: not encrypted with a KMS key; trail b: no log file validation",
        ),
        ((trail("a", kms_key=False, logging=False), trail("b")), Status.PASSED, "trail b"),
    ],
)
def test_evaluate(trails, status, phrase):
    verdict = CONTROL.evaluate(account(*trails), {})
    assert verdict.status is status and phrase in verdict.reason


@pytest.mark.parametrize(
    ("selectors", "full", "complete"),
    [
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, ["read", "write"], True),
        (
            {"EventSelectors": [{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]},
            ["read", "write"],
            False,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["rdsdata.amazonaws.com"]},
                        ]
                    }
                ]
            },
            ["read", "write"],
            False,
        ),
        (  # the same in the advanced shape, a data events selector first
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        ]
                    },
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]},
                        ]
                    },
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
                ]
            },
            ["read", "write"],
            True,
        ),  # fmt: skip
        (  # an excluding selector beside one that excludes nothing: nothing is left out
            {
                "EventSelectors": [
                    {"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]},
                    {"ReadWriteType": "All"},
                ]
            },
            ["read", "write"],
            True,
        ),
    ],
)
def test_excluded_management_event_sources_are_seen_in_both_shapes(selectors, full, complete):
    assert management_events(selectors) == full
    assert (management_events(selectors, complete=True) == full) is complete


def test_every_multi_region_trail_is_read_whatever_single_region_trails_are_listed_before_it():
    listed = [
        {"Name": "regional", "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ME}:trail/regional", "HomeRegion": REGION},
        {"Name": "main", "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ME}:trail/main", "HomeRegion": REGION,
         "IsMultiRegionTrail": True},
    ]  # fmt: skip

    class CloudTrail:
        def describe_trails(self, includeShadowTrails):  # noqa: N803 (botocore's parameter name)
            return {"trailList": listed}

    read = lambda cloudtrail, trail: {"name": trail["Name"]}  # noqa: E731
    [account] = read_multi_region_trails(lambda *_: CloudTrail(), Scope(ME, REGION), read, lambda t: False, "it")
    assert account.state["trails"] == [{"name": "main"}] and not account.unreadable


def test_reading_stops_at_the_first_trails_that_decide_the_verdict():
    listed = [
        {"Name": name, "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ME}:trail/{name}", "HomeRegion": REGION,
         "IsMultiRegionTrail": True}
        for name in ("main", "second", "third")
    ]  # fmt: skip

    class CloudTrail:
        def describe_trails(self, includeShadowTrails):  # noqa: N803 (botocore's parameter name)
            return {"trailList": listed}

    read: list[str] = []
    enough = lambda trails: len(trails) == 2  # noqa: E731
    collect = lambda cloudtrail, trail: read.append(trail["Name"]) or {"name": trail["Name"]}  # noqa: E731
    [account] = read_multi_region_trails(lambda *_: CloudTrail(), Scope(ME, REGION), collect, enough, "it")
    assert read == ["main", "second"] and [t["name"] for t in account.state["trails"]] == read


def test_a_refused_trail_is_its_own_read_failure_and_the_trails_after_it_are_still_read():
    listed = [
        {"Name": name, "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ME}:trail/{name}", "HomeRegion": REGION,
         "IsMultiRegionTrail": True}
        for name in ("theirs", "main")
    ]  # fmt: skip

    class CloudTrail:
        def describe_trails(self, includeShadowTrails):  # noqa: N803 (botocore's parameter name)
            return {"trailList": listed}

    def read(cloudtrail, trail):
        if trail["Name"] == "theirs":
            raise ClientError({"Error": {"Code": "CloudTrailARNInvalidException"}}, "GetEventSelectors")
        return {"name": trail["Name"]}

    enough = lambda trails: bool(trails)  # noqa: E731
    account, refused = read_multi_region_trails(lambda *_: CloudTrail(), Scope(ME, REGION), read, enough, "it")
    assert account.state["trails"] == [{"name": "main"}] and not account.unreadable
    assert refused.resource_id == listed[0]["TrailARN"] and refused.unreadable


# --- round trips on the moto server -------------------------------------------------------

BUCKET = "org-cloudtrail-logs-123456789012"


def seed(aws, name, *, validation=True, kms=True, multi_region=True, selectors=None) -> str:
    aws("s3").create_bucket(Bucket=BUCKET)
    cloudtrail = aws("cloudtrail")
    options = {"EnableLogFileValidation": validation, "IsMultiRegionTrail": multi_region}
    if kms:
        options["KmsKeyId"] = aws("kms").create_key()["KeyMetadata"]["Arn"]
    arn = cloudtrail.create_trail(Name=name, S3BucketName=BUCKET, **options)["TrailARN"]
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=selectors or [{"ReadWriteType": "All"}])
    cloudtrail.start_logging(Name=arn)
    return arn


def judged(account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # every fix off
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json"))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    return report, outcome


def test_round_trip_one_trail_with_every_practice_passes(aws, account_id):
    seed(aws, "management-events")
    report, outcome = judged(account_id)
    assert outcome.verdict.status is Status.PASSED, outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert finding["Compliance"]["Status"] == "PASSED" and finding["Resources"][0]["Type"] == "AwsAccount"


def test_round_trip_practices_split_over_two_trails_fail(aws, account_id):
    """No one trail has every practice: FAILED, while the multi-region control (any trail logging all management
    events) passes; validation and KMS fail only on the trail lacking each."""
    seed(aws, "management-events", kms=False)
    seed(aws, "archive", validation=False, selectors=[{"ReadWriteType": "All"}])
    report, outcome = judged(account_id)
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert "management-events: not encrypted with a KMS key" in outcome.verdict.reason
    assert "archive: no log file validation" in outcome.verdict.reason
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert finding["Compliance"]["Status"] == "FAILED"
    [multi_region] = [o for o in report.outcomes if o.control.id == "cloudtrail_multi_region_logging"]
    assert multi_region.verdict.status is Status.PASSED


def test_round_trip_excluded_sources_and_single_region_trails_fail(aws, account_id):
    excluding = [{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]
    seed(aws, "management-events", selectors=excluding)
    seed(aws, "regional", multi_region=False)  # every other practice, but not multi-region: not read at all
    _, outcome = judged(account_id)
    assert outcome.verdict.status is Status.FAILED
    assert outcome.verdict.reason.endswith("(trail management-events: excludes some management events)")
