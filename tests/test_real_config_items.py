"""Real AWS Config configuration items (events/real/config/, each file naming its public source) through the
template's Config rules and the routing, against expectations written by hand: as a change notification, as an
oversized notification, and as the notification of the resource's deletion.

Published items come in two shapes. The notification's (`awsAccountId`, `ARN`, `configurationItemVersion`) is what
EventBridge carries in `detail.configurationItem`; the API's and the console's (`accountId`, `arn`, `version`,
botocore's `ConfigurationItem`) names the same fields otherwise, and is renamed here as the notification names them.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import botocore.session
import pytest
from logbaseline import sam_template
from logbaseline.engine.routing import InvalidEvent, route
from moto.events.models import EventPattern

from tests.conftest import EVENTS, ROOT

CONFIG_ITEMS = EVENTS / "real" / "config"
RULES = {
    r.logical_id: EventPattern.load(json.dumps(r.pattern))
    for r in sam_template.event_rules(sam_template.load(ROOT / "template.yaml"))
}
API_TO_NOTIFICATION = {
    "version": "configurationItemVersion",
    "accountId": "awsAccountId",
    "arn": "ARN",
    "configurationItemMD5Hash": "configurationStateMd5Hash",
}
# What an oversized notification keeps of the item (AWS Config developer guide, "Example Oversized Configuration
# Item Change Notification"; the real one in events/real/config/powertools-*.json has the same keys).
SUMMARY_KEYS = (
    "configurationItemVersion",
    "configurationItemCaptureTime",
    "configurationStateId",
    "awsAccountId",
    "configurationItemStatus",
    "resourceType",
    "resourceId",
    "resourceName",
    "ARN",
    "awsRegion",
    "availabilityZone",
    "configurationStateMd5Hash",
    "resourceCreationTime",
)

FLOW_LOGS, EKS, ELB, GUARDDUTY = (
    "vpc_flow_logs_enabled",
    "eks_control_plane_audit_logging_enabled",
    "elb_access_logs_enabled",
    "guardduty_enabled",
)
BUCKET_CONTROLS = (
    "cloudtrail_bucket_not_public",
    "cloudtrail_bucket_access_logging_enabled",
    "s3_log_bucket_lifecycle_bounded",
    "s3_bucket_server_access_logging_enabled",
    "s3_log_bucket_not_public",
    "cloudtrail_bucket_object_lock",
)
TRAIL_CONTROLS = (
    "cloudtrail_log_file_validation_enabled",
    "cloudtrail_kms_encryption_enabled",
    "cloudtrail_cloudwatch_logs_enabled",
    "cloudtrail_logs_queryable",
)
EKS_ARN = "arn:aws:eks:us-east-2:123456789012:cluster/test"
CLB1 = "arn:aws:elasticloadbalancing:us-east-1:382822795712:loadbalancer/CLB1"
CLB2 = "arn:aws:elasticloadbalancing:us-east-1:934654633380:loadbalancer/test-load-balancer"
BUCKET = "mborch-test-bucket-config-item"
TRAIL_ARN = "arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail"

# file -> what each form of its item reaches: (control, resource id, or None for the whole region).
SAME = object()  # the oversized and deleted forms reach what the full item reaches
EXPECTED: dict[str, dict[str, Any]] = {
    # The flow log's resource was edited to "test", no VPC id: the full item reaches no VPC. An oversized or deleted
    # item carries no configuration, so the region's VPCs are judged again.
    "rdk-AWS_EC2_FlowLog.json": {"item": set(), "oversized": {(FLOW_LOGS, None)}, "deleted": {(FLOW_LOGS, None)}},
    "rdk-AWS_EKS_Cluster.json": {"item": {(EKS, EKS_ARN)}, "oversized": SAME, "deleted": SAME},
    "rdk-AWS_ELASTICLOADBALANCING_LOADBALANCER.json": {"item": {(ELB, CLB1)}, "oversized": SAME, "deleted": SAME},
    "rdk-AWS_LOADBALANCING_LOADBALANCER.json": {"item": {(ELB, CLB2)}, "oversized": SAME, "deleted": SAME},
    "rdk-AWS_S3_Bucket.json": {"item": {(c, BUCKET) for c in BUCKET_CONTROLS}, "oversized": SAME, "deleted": SAME},
    "awsdocs-prescriptive-guidance-guardduty-detector.json": {
        "item": {(GUARDDUTY, None)},
        "oversized": SAME,
        "deleted": SAME,
    },
}
# The fixture's accountId was edited, not the account in its ARN: an item naming another account's trail is refused.
REFUSED = {"rdk-AWS_Cloudtrail_Trail.json": "names arn:aws:cloudtrail:ap-southeast-1:123456789012:trail/APJCCloudTrail"}
NOT_OURS = {"powertools-awsConfigRuleOversizedConfiguration.json"}  # an EC2 instance: no rule matches it


def documents() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(CONFIG_ITEMS.glob("*.json")):
        document = json.loads(path.read_text())
        assert document["source"].startswith(("https://github.com/", "https://docs.aws.amazon.com/")), path.name
        found[path.name] = document
    return found


DOCUMENTS = documents()


def notification_item(document: dict[str, Any]) -> dict[str, Any]:
    (item,) = document["items"]
    if document["shape"] == "api":
        return {API_TO_NOTIFICATION.get(key, key): value for key, value in item.items()}
    assert document["shape"] == "notification"
    return copy.deepcopy(item)


def envelope(detail: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event of a Config notification: the notification itself is the detail."""
    item = detail.get("configurationItem") or detail["configurationItemSummary"]
    return {
        "version": "0",
        "id": "a5c1e8f2-0000-4000-8000-000000000000",
        "detail-type": "Config Configuration Item Change",
        "source": "aws.config",
        "account": item["awsAccountId"],
        "time": detail["notificationCreationTime"],
        "region": item["awsRegion"],
        "resources": [item["ARN"]],
        "detail": detail,
    }


def change(item: dict[str, Any]) -> dict[str, Any]:
    return envelope(
        {
            "recordVersion": "1.3",
            "messageType": "ConfigurationItemChangeNotification",
            "configurationItemDiff": None,
            "notificationCreationTime": "2026-12-01T10:00:00.000Z",
            "configurationItem": item,
        }
    )


def oversized(item: dict[str, Any]) -> dict[str, Any]:
    summary = {key: item.get(key) for key in SUMMARY_KEYS} | {"changeType": "UPDATE"}
    return envelope(
        {
            "recordVersion": "1.0",
            "messageType": "OversizedConfigurationItemChangeNotification",
            "notificationCreationTime": "2026-12-01T10:00:00.000Z",
            "configurationItemSummary": summary,
            "s3DeliverySummary": {"s3BucketLocation": "config-bucket/AWSLogs/ConfigHistory/item.json.gz"},
        }
    )


def deleted(item: dict[str, Any]) -> dict[str, Any]:
    """The notification of the resource's deletion: status ResourceDeleted, no configuration, no relationships."""
    gone = item | {
        "configurationItemStatus": "ResourceDeleted",
        "configuration": None,
        "supplementaryConfiguration": {},
        "relationships": [],
        "resourceCreationTime": None,
    }
    event = change(gone)
    event["detail"]["configurationItemDiff"] = {"changedProperties": {}, "changeType": "DELETE"}
    return event


FORMS = {"item": change, "oversized": oversized, "deleted": deleted}
RULE_OF = {
    "item": "ConfigItemChangeRule",
    "oversized": "ConfigOversizedItemChangeRule",
    "deleted": "ConfigItemChangeRule",
}


def matching_rules(event: dict[str, Any]) -> list[str]:
    return [rule_id for rule_id, pattern in RULES.items() if pattern.matches_event(event)]


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_item_is_matched_and_routed_as_written_by_hand(name, form):
    item = notification_item(DOCUMENTS[name])
    event = FORMS[form](item)
    assert matching_rules(event) == [RULE_OF[form]]
    expected = EXPECTED[name][form]
    expected = EXPECTED[name]["item"] if expected is SAME else expected
    targets = route(event)
    assert {(t.control.id, t.scope.resource_id) for t in targets} == expected
    assert {(t.scope.account_id, t.scope.region) for t in targets} <= {(item["awsAccountId"], item["awsRegion"])}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_an_item_naming_another_accounts_resource_is_refused(name, form):
    event = FORMS[form](notification_item(DOCUMENTS[name]))
    assert matching_rules(event) == [RULE_OF[form]]
    with pytest.raises(InvalidEvent, match=re.escape(REFUSED[name])):
        route(event)


def test_the_trail_item_with_its_own_account_reaches_the_trails_controls_and_every_covered_region():
    item = notification_item(DOCUMENTS["rdk-AWS_Cloudtrail_Trail.json"]) | {"awsAccountId": "123456789012"}
    regions = ["ap-southeast-1", "eu-west-1"]
    targets = {(t.control.id, t.scope.region, t.scope.resource_id) for t in route(change(item), regions)}
    assert targets == {(c, "ap-southeast-1", TRAIL_ARN) for c in TRAIL_CONTROLS} | {
        (control_id, region, None)
        for region in regions
        for control_id in (
            "cloudtrail_multi_region_logging",
            "cloudtrail_no_duplicate_management_events",
            "logs_centralized",
            "cloudtrail_s3_data_events_recorded",
            "cloudtrail_security_trail_enabled",
        )
    }


@pytest.mark.parametrize("name", sorted(NOT_OURS))
def test_an_oversized_notification_of_another_resource_type_is_not_matched(name):
    (notification,) = DOCUMENTS[name]["items"]
    assert notification["messageType"] == "OversizedConfigurationItemChangeNotification"
    assert set(notification["configurationItemSummary"]) == {*SUMMARY_KEYS, "changeType"}
    assert matching_rules(envelope(notification)) == []


def test_every_file_has_an_expectation():
    assert set(DOCUMENTS) == set(EXPECTED) | set(REFUSED) | NOT_OURS


def test_the_two_shapes_are_what_they_say():
    members = set(botocore.session.get_session().get_service_model("config").shape_for("ConfigurationItem").members)
    for name, document in DOCUMENTS.items():
        if document["shape"] == "api":
            (item,) = document["items"]
            assert {"accountId", "arn", "version"} <= set(item) and set(API_TO_NOTIFICATION) <= members, name
        elif document["shape"] == "notification":
            (item,) = document["items"]
            assert {"awsAccountId", "ARN", "configurationItemVersion"} <= set(item), name


def documented_without_item() -> set[str]:
    """Resource types that events/README.md says no public real configuration item was found for."""
    text = (EVENTS / "README.md").read_text().split("## Config resource types without a real item", 1)[1]
    return set(re.findall(r"^\| `(AWS::[\w:]+)` \|", text.split("\n## ", 1)[0], re.MULTILINE))


def test_every_resource_type_of_the_rules_has_a_real_item_or_a_documented_reason():
    rule = sam_template.event_rules(sam_template.load(ROOT / "template.yaml"))
    (config_rule,) = [r for r in rule if r.logical_id == "ConfigItemChangeRule"]
    types = set(config_rule.pattern["detail"]["configurationItem"]["resourceType"])
    covered = {notification_item(DOCUMENTS[name])["resourceType"] for name in [*EXPECTED, *REFUSED]}
    documented = documented_without_item()
    assert covered & documented == set(), "listed as without a real item, yet one is in events/real/config"
    assert types - covered == documented
