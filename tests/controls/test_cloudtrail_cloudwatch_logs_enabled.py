"""cloudtrail_cloudwatch_logs_enabled: the pure verdict, the delivery age read in collect, and round trips on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.cloudtrail_cloudwatch_logs_enabled import CONTROL
from logbaseline.engine import Service
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

NAME, BUCKET = "management-events", "org-cloudtrail-logs-123456789012"  # as in the sample events
GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:cloudtrail:*"


def trail(group=GROUP, age=None, error=None, logging=True) -> Resource:
    state = {"name": NAME, "log_group_arn": group}
    if group:
        state |= {"delivery_age_hours": age, "delivery_error": error, "logging": logging}
    return Resource("123456789012", REGION, f"arn:aws:cloudtrail:{REGION}:123456789012:trail/{NAME}", state)


@pytest.mark.parametrize(
    ("resource", "status", "phrases"),
    [
        (trail(group=None), Status.FAILED, ["does not send its events to CloudWatch Logs"]),
        (trail(age=None), Status.FAILED, ["delivered nothing to it yet", "no LatestCloudWatchLogsDeliveryTime"]),
        (trail(age=None, error="AccessDenied"), Status.FAILED, ["nothing to it yet", "last delivery error: Access"]),
        (trail(age=None, logging=False), Status.FAILED, ["the trail is not logging"]),
        (trail(age=0.0), Status.PASSED, ["delivers to log group " + GROUP, "0.0 hours ago"]),
        (trail(age=24.0), Status.PASSED, ["24.0 hours ago"]),
        (trail(age=24.1), Status.FAILED, ["was 24.1 hours ago, more than 24"]),
        (trail(age=30.0, logging=False), Status.FAILED, ["30.0 hours ago", "the trail is not logging"]),
        (trail(age=2.0, error="stale error"), Status.PASSED, ["2.0 hours ago"]),  # a recent delivery succeeded
    ],
)
def test_evaluate(resource, status, phrases):
    """A log group and a delivery within 24 hours pass; nothing here is fixable."""
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, False)
    for phrase in phrases:
        assert phrase in verdict.reason


def test_metadata_no_fix():
    assert (CONTROL.remediate, CONTROL.write_actions, CONTROL.default_mode) == (None, (), Mode.OFF)
    assert CONTROL.read_actions == ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus")


# --- round trips on the moto server -------------------------------------------------------


def seed_trail(aws, *, log_group=True, region=REGION) -> str:
    """A logging multi-region trail with validation on; with log_group, it names a log group and a role."""
    aws("s3").create_bucket(Bucket=BUCKET)
    settings = {}
    if log_group:
        aws("logs", region).create_log_group(logGroupName="cloudtrail")
        [group] = aws("logs", region).describe_log_groups(logGroupNamePrefix="cloudtrail")["logGroups"]
        role = aws("iam").create_role(RoleName="cloudtrail-logs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        settings = {"CloudWatchLogsLogGroupArn": group["arn"], "CloudWatchLogsRoleArn": role}
    cloudtrail = aws("cloudtrail", region)
    arn = cloudtrail.create_trail(
        Name=NAME, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True, **settings
    )["TrailARN"]
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=[{"ReadWriteType": "All"}])  # AWS's default
    cloudtrail.start_logging(Name=arn)
    return arn


class DeliveredStatus:
    """moto's CloudTrail client, with the delivery fields AWS adds to GetTrailStatus and moto never does."""

    def __init__(self, client, delivered: datetime, error: str | None):
        self.client, self.delivered, self.error = client, delivered, error

    def __getattr__(self, name):
        return getattr(self.client, name)

    def get_trail_status(self, **kwargs):
        status = self.client.get_trail_status(**kwargs)
        status["LatestCloudWatchLogsDeliveryTime"] = self.delivered
        if self.error:
            status["LatestCloudWatchLogsDeliveryError"] = self.error
        return status


class DeliveredClients(Clients):
    def __init__(self, delivered: datetime, error: str | None = None):
        super().__init__(REGION, config=NO_RETRY)
        self.delivered, self.error = delivered, error

    def __call__(self, service, region=None):
        client = super().__call__(service, region)
        return DeliveredStatus(client, self.delivered, self.error) if service == "cloudtrail" else client


def service_seeing(clients: Clients, aws) -> Service:
    service = Service(Settings.from_env({}), lambda account_id, region: clients, Clients(REGION, config=NO_RETRY))
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]  # for other controls' requests
    return service


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


@pytest.mark.parametrize(
    ("hours_ago", "error", "status", "phrase"),
    [
        (2, None, Status.PASSED, "last delivery 2.0 hours ago"),
        (30, "AccessDeniedException", Status.FAILED, "was 30.0 hours ago, more than 24; last delivery error: Access"),
    ],
)
def test_round_trip_delivery_age_is_read_in_collect(aws, account_id, hours_ago, error, status, phrase):
    """With the delivery time AWS reports seeded, collect computes the age and the finding follows it."""
    arn = seed_trail(aws)
    clients = DeliveredClients(datetime.now(UTC) - timedelta(hours=hours_ago), error)
    report = service_seeing(clients, aws).evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json"))
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status) == (arn, status)
    assert outcome.resource.state["delivery_age_hours"] == pytest.approx(hours_ago, abs=0.1)
    assert phrase in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == status.value and finding["Resources"][0]["Type"] == "AwsCloudTrailTrail"
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []


@pytest.mark.parametrize(
    ("log_group", "event", "phrase"),
    [
        # moto's GetTrailStatus never has LatestCloudWatchLogsDeliveryTime: the trail reads as "no delivery yet".
        (True, "cloudtrail/cloudtrail-CreateTrail.json", "(GetTrailStatus has no LatestCloudWatchLogsDeliveryTime)"),
        (False, "config/AWS-CloudTrail-Trail.json", "no log group configured"),
    ],
)
def test_round_trip_failed_trail_has_a_low_finding_and_no_fix(aws, account_id, log_group, event, phrase):
    arn = seed_trail(aws, log_group=log_group)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")  # no fix exists anyway
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    report = service.evaluate_event(load_event(event))
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, False)
    assert phrase in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "LOW")
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []

    aws("cloudtrail").delete_trail(Name=NAME)  # moto ignores an ARN here
    [gone] = mine(service.evaluate_event(load_event("cloudtrail/cloudtrail-DeleteTrail.json")))
    assert (gone.present, gone.resource_id) == (False, arn)  # the ARN rebuilt from the name in the event
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"


class TrailsAsAwsListsThem:
    """DescribeTrails as AWS answers in a member account: its own trail, another region's, and an org trail."""

    def __init__(self, trails):
        self.trails, self.status_calls = trails, []

    def __call__(self, service, region=None):
        return self

    def describe_trails(self, **query):
        return {"trailList": self.trails}

    def get_trail_status(self, Name):
        self.status_calls.append(Name)
        return {"IsLogging": True, "LatestCloudWatchLogsDeliveryTime": datetime.now(UTC) - timedelta(minutes=5)}


def listed(name, home=REGION, owner="123456789012") -> dict:
    arn = f"arn:aws:cloudtrail:{home}:{owner}:trail/{name}"
    return {"Name": name, "TrailARN": arn, "HomeRegion": home, "CloudWatchLogsLogGroupArn": GROUP}


def test_trail_is_judged_only_once_in_its_own_account_and_home_region():
    """A shadow copy (other home region) and another account's organization trail are not judged here."""
    ours = listed(NAME)
    clients = TrailsAsAwsListsThem([ours, listed("elsewhere", home="eu-west-1"), listed("org", owner="210987654321")])
    [resource] = CONTROL.collect(clients, Scope("123456789012", REGION))
    assert (resource.resource_id, resource.state["delivery_age_hours"]) == (ours["TrailARN"], 0.1)
    assert clients.status_calls == [ours["TrailARN"]]
    assert CONTROL.evaluate(resource, {}).status is Status.PASSED
