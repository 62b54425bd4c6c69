"""Real CloudTrail records (events/real/, each file naming its public source) through the template's rules and the
routing, against expectations written by hand from each record's own fields."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from logbaseline import sam_template
from logbaseline.engine.routing import route

from tests.cfn import API_CALL_RULES
from tests.conftest import EVENTS, ROOT
from tests.test_routing import matched

REAL = EVENTS / "real"
RULES = {r.logical_id: r for r in sam_template.event_rules(sam_template.load(ROOT / "template.yaml"))}
UNKNOWN = "123456789012"  # a fixture naming no account at all: any account will do, the routing reads the event's


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event AWS makes of a CloudTrail record: `account` is the account that received the record
    (the caller's when an old record has no recipientAccountId), `source` the service's aws.* name."""
    return {
        "version": "0",
        "id": record.get("eventID", ""),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + record["eventSource"].split(".")[0],
        "account": record.get("recipientAccountId") or record.get("userIdentity", {}).get("accountId") or UNKNOWN,
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }


# (file, record index) -> the (control, resource id or None for the whole region) it must reach. Records not listed
# here must not be matched by the template's rules at all: read-only calls, other services, failed calls.
TRAIL_LOGGING, VALIDATION = "cloudtrail_multi_region_logging", "cloudtrail_log_file_validation_enabled"
TRAIL_KMS, TRAIL_CW = "cloudtrail_kms_encryption_enabled", "cloudtrail_cloudwatch_logs_enabled"
NOT_PUBLIC, TRAIL_BUCKET_LOGGING = "cloudtrail_bucket_not_public", "cloudtrail_bucket_access_logging_enabled"
LIFECYCLE, ACCESS_LOGGING = "s3_log_bucket_lifecycle_bounded", "s3_bucket_server_access_logging_enabled"
LOG_BUCKET_NOT_PUBLIC, CENTRALIZED = "s3_log_bucket_not_public", "logs_centralized"
DUPLICATES = "cloudtrail_no_duplicate_management_events"
# The account-level trail controls each trail change reaches (selectors matter to the first two only).
ACCOUNT_TRAIL_CONTROLS = {(TRAIL_LOGGING, None), (DUPLICATES, None), (CENTRALIZED, None)}
SELECTOR_CONTROLS = {(TRAIL_LOGGING, None), (DUPLICATES, None)}
# ... and the controls judging the multi-region trails' data-event selectors and security practices.
MULTI_REGION_TRAIL_CONTROLS = {
    ("cloudtrail_s3_data_events_recorded", None),
    ("cloudtrail_security_trail_enabled", None),
}
ACCOUNT_TRAIL_CONTROLS |= MULTI_REGION_TRAIL_CONTROLS
SELECTOR_CONTROLS |= MULTI_REGION_TRAIL_CONTROLS
RECORDER, FLOW_LOGS, DNS, ELB = (
    "config_recorder_active",
    "vpc_flow_logs_enabled",
    "vpc_dns_query_logging_enabled",
    "elb_access_logs_enabled",
)


ALARMS, QUERYABLE = "cloudtrail_security_alarms", "cloudtrail_logs_queryable"


def trail(name: str) -> set[tuple[str, str | None]]:
    """A trail named by the call: its own controls (its digests re-verified too), and the account-level ones."""
    own = {(VALIDATION, name), (TRAIL_KMS, name), (TRAIL_CW, name), ("cloudtrail_log_integrity_verified", name)}
    own |= {(QUERYABLE, name)}
    return own | ACCOUNT_TRAIL_CONTROLS | {(ALARMS, None)}


EXAMPLE_TRAIL = "arn:aws:cloudtrail:us-west-2:123456789012:trail/example-trail"
ALB = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/my-load-balancer/ffcddace1759e1d0"
# A trail created or updated with no bucket in the record (responseElements null): every trail bucket of the region.
TRAIL_BUCKETS_OF_THE_REGION = {
    (NOT_PUBLIC, None),
    (TRAIL_BUCKET_LOGGING, None),
    ("cloudtrail_bucket_object_lock", None),
}
EXPECTED: dict[tuple[str, int], set[tuple[str, str | None]]] = {
    # StartLogging from the console names the trail by ARN; only the account-level control follows it.
    ("awsdocs-cloudtrail-event-reference.json", 0): ACCOUNT_TRAIL_CONTROLS,
    ("awsdocs-config-log-file-examples.json", 0): {(RECORDER, None)},  # DeleteDeliveryChannel
    ("awsdocs-config-log-file-examples.json", 5): {(RECORDER, None)},  # PutConfigurationRecorder
    ("awsdocs-config-log-file-examples.json", 6): {(RECORDER, None)},  # PutDeliveryChannel
    ("awsdocs-config-log-file-examples.json", 7): {(RECORDER, None)},  # StartConfigurationRecorder
    ("awsdocs-config-log-file-examples.json", 8): {(RECORDER, None)},  # StopConfigurationRecorder
    ("awsdocs-elbv2-cloudtrail-logs.json", 0): {(ELB, ALB)},  # CreateLoadBalancer: the ARN from the response
    # A VPC flow log to an S3 bucket: the VPC, and the bucket, which becomes a log bucket.
    ("ossem-create-flow-logs.json", 0): {
        (FLOW_LOGS, "vpc-12345678"),
        (CENTRALIZED, None),
        (LIFECYCLE, "arn:aws:s3:::vpc-logs-for-hunting"),
        (ACCESS_LOGGING, "arn:aws:s3:::vpc-logs-for-hunting"),
        (LOG_BUCKET_NOT_PUBLIC, "arn:aws:s3:::vpc-logs-for-hunting"),
    },
    ("panther-aws-cloudtrail-created.json", 0): trail(EXAMPLE_TRAIL) | TRAIL_BUCKETS_OF_THE_REGION,
    ("panther-aws-cloudtrail-event-selectors-disabled.json", 0): SELECTOR_CONTROLS,
    ("panther-aws-cloudtrail-event-selectors-disabled.json", 1): SELECTOR_CONTROLS,
    ("panther-aws-cloudtrail-short-lifecycle.json", 0): {(LIFECYCLE, "sample-cloudtrail-bucket-name")},
    ("panther-aws-cloudtrail-short-lifecycle.json", 1): {(LIFECYCLE, "sample-cloudtrail-bucket-name")},
    ("panther-aws-cloudtrail-short-lifecycle.json", 2): {(LIFECYCLE, "sample-cloudtrail-bucket-name")},
    ("panther-aws-cloudtrail-stopped.json", 0): ACCOUNT_TRAIL_CONTROLS,
    ("panther-aws-cloudtrail-stopped.json", 1): ACCOUNT_TRAIL_CONTROLS,
    ("panther-aws-config-service-created.json", 0): {(RECORDER, None)},
    ("panther-aws-config-service-created.json", 1): {(RECORDER, None)},
    ("panther-aws-config-service-disabled-deleted.json", 0): {(RECORDER, None)},
    ("panther-aws-config-service-disabled-deleted.json", 1): {(RECORDER, None)},
    ("panther-aws-dns-logs-deleted.json", 0): {(DNS, None)},  # names a config, not a VPC: every VPC
    ("panther-aws-ec2-vpc-modified.json", 0): {(FLOW_LOGS, "vpc-1"), (DNS, "vpc-1")},
    ("panther-aws-resource-made-public.json", 0): {
        (NOT_PUBLIC, "example-bucket"),
        (LOG_BUCKET_NOT_PUBLIC, "example-bucket"),
    },
    ("panther-aws-resource-made-public.json", 1): {
        (NOT_PUBLIC, "example-bucket"),
        (LOG_BUCKET_NOT_PUBLIC, "example-bucket"),
    },
    # No requestParameters at all, or no bucketName: the bucket is not known, every trail bucket is re-read.
    ("panther-aws-resource-made-public.json", 2): {(NOT_PUBLIC, None), (LOG_BUCKET_NOT_PUBLIC, None)},
    ("panther-aws-resource-made-public.json", 4): {
        (NOT_PUBLIC, None),
        (LOG_BUCKET_NOT_PUBLIC, None),
    },  # and no recipientAccountId
    ("panther-aws-resource-made-public.json", 5): {(NOT_PUBLIC, None), (LOG_BUCKET_NOT_PUBLIC, None)},
    ("panther-aws-s3-bucket-policy-modified.json", 0): {
        (NOT_PUBLIC, "bucket"),
        (LOG_BUCKET_NOT_PUBLIC, "bucket"),
    },  # PutBucketAcl
    ("panther-aws-s3-delete-public-access-block.json", 0): {
        (NOT_PUBLIC, "corporate-documents"),
        (LOG_BUCKET_NOT_PUBLIC, "corporate-documents"),
    },
    ("panther-aws-s3-delete-public-access-block.json", 2): {
        (NOT_PUBLIC, "corporate-documents"),
        (LOG_BUCKET_NOT_PUBLIC, "corporate-documents"),
    },
    # An ec2.amazonaws.com record named DeleteBucketPublicAccessBlock: the rule's two lists match it, the routing
    # (which pairs source and name) sends it nowhere.
    ("panther-aws-s3-delete-public-access-block.json", 3): set(),
    # Logging turned off: the logged bucket, for the three controls that judge it.
    ("panther-aws-s3-disable-bucket-logging.json", 0): {
        (TRAIL_BUCKET_LOGGING, "critical-data-bucket"),
        (ACCESS_LOGGING, "critical-data-bucket"),
        (LIFECYCLE, "critical-data-bucket"),
    },
    # Logging turned on to logging-bucket, which becomes a log bucket.
    ("panther-aws-s3-disable-bucket-logging.json", 2): {
        (TRAIL_BUCKET_LOGGING, "critical-data-bucket"),
        (ACCESS_LOGGING, "critical-data-bucket"),
        (ACCESS_LOGGING, "logging-bucket"),
        (LIFECYCLE, "logging-bucket"),
    },
    ("panther-aws-s3-disable-bucket-logging.json", 3): {
        (TRAIL_BUCKET_LOGGING, "critical-data-bucket"),
        (ACCESS_LOGGING, "critical-data-bucket"),
        (LIFECYCLE, "critical-data-bucket"),
    },
    ("panther-aws-security-configuration-change.json", 0): trail("example-trail"),  # DeleteTrail
    ("panther-aws-vpc-flow-logs-deleted.json", 0): {(FLOW_LOGS, None)},  # names a flow log, not its VPC
    ("panther-aws-vpce-sensitive-api-calls.json", 0): trail("management-events") | TRAIL_BUCKETS_OF_THE_REGION,
    ("stratus-cloudtrail-delete.json", 0): trail("stratus-red-team-cloudtraild-trail-kvrwohmiai"),
    ("stratus-cloudtrail-event-selectors.json", 0): SELECTOR_CONTROLS,
    ("stratus-cloudtrail-stop.json", 0): ACCOUNT_TRAIL_CONTROLS,
    ("stratus-dns-delete-logs.json", 0): {(DNS, None)},
    ("stratus-vpc-remove-flow-logs.json", 0): {(FLOW_LOGS, None)},
}


def records() -> list[tuple[str, int, dict[str, Any]]]:
    found = []
    for path in sorted(REAL.glob("*.json")):
        document = json.loads(path.read_text())
        assert document["source"].startswith("https://github.com/"), f"{path.name} names its source"
        found += [(path.name, index, record) for index, record in enumerate(document["records"])]
    return found


RECORDS = records()


@pytest.mark.parametrize(("name", "index", "record"), RECORDS, ids=[f"{n}[{i}]" for n, i, _ in RECORDS])
def test_a_real_record_is_matched_and_routed_as_written_by_hand(name, index, record):
    event = envelope(record)
    if (name, index) not in EXPECTED:
        assert not matched(event), f"{record['eventName']} should not reach the evaluator"
        assert record.get("errorCode") or route(event) == []
        return
    assert matched(event), f"{record['eventName']} is not matched by any EventBridge rule in template.yaml"
    targets = route(event)
    assert {(t.control.id, t.scope.resource_id) for t in targets} == EXPECTED[(name, index)]
    assert {(t.scope.account_id, t.scope.region) for t in targets} <= {(event["account"], record["awsRegion"])}


def test_every_expectation_names_a_record():
    assert set(EXPECTED) <= {(name, index) for name, index, _ in RECORDS}


def test_failed_calls_and_read_only_calls_are_in_the_corpus_and_never_matched():
    failed = [r for _, _, r in RECORDS if r.get("errorCode")]
    read_only = [r for _, _, r in RECORDS if r["eventName"].startswith(("Describe", "Get", "List"))]
    assert len(failed) >= 10 and len(read_only) >= 3
    assert not any(matched(envelope(r)) for r in failed + read_only)


def documented_without_record() -> set[str]:
    """Event names that events/README.md says no public real record was found for."""
    text = (EVENTS / "README.md").read_text().split("## Rule event names without a real record", 1)[1]
    return set(re.findall(r"^\| `(\w+)` \|", text.split("\n## ", 1)[0], re.MULTILINE))


def test_every_rule_event_name_has_a_real_record_or_a_documented_reason():
    rules = (*API_CALL_RULES, "TamperEventRule")
    names = {n for r in rules for n in RULES[r].pattern["detail"]["eventName"]}
    covered = {
        record["eventName"]
        for name, index, record in RECORDS
        if EXPECTED.get((name, index)) and not record.get("errorCode")
    }
    documented = documented_without_record()
    assert covered & documented == set(), "listed as without a real record, yet one is in events/real"
    assert names - covered == documented
