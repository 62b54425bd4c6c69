"""cloudtrail_security_alarms: the CIS patterns (as Security Hub publishes them, and what each matches), the pure
verdict, a fix that only adds, the grants behind it, and round trips on moto."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from logbaseline.aws import Clients
from logbaseline.controls._cis_monitoring import CHECKS, alerting_gaps, check_of, normalized, subscribers
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.cloudtrail_security_alarms import CONTROL, NAMESPACE, TOPIC, alarm_name
from logbaseline.engine import FixRequest
from logbaseline.models import Mode, Resource, Status

from tests.conftest import EVENTS, REGION, ROOT, findings_by_resource, load_event, make_service
from tests.filter_pattern import matches
from tests.iam_policy import Request
from tests.test_least_authority import allowed, policies

ME = "123456789012"
ACCOUNT = f"AWS::::Account:{ME}"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ME}:trail/management-events"
GROUP, TOPIC_ARN = "aws-cloudtrail-logs", f"arn:aws:sns:{REGION}:{ME}:security-alarms"
DATA = ROOT / "tests/data"
PUBLISHED = json.loads((DATA / "securityhub-cloudwatch-patterns.json").read_text())["patterns"]
SAMPLES = json.loads((DATA / "cis-monitoring-records.json").read_text())["records"]


# --- the patterns ---------------------------------------------------------------------------------------------


def test_the_patterns_are_the_ones_security_hub_publishes():
    assert [c.control for c in CHECKS] == [f"CloudWatch.{n}" for n in range(1, 15)]
    assert {c.control: c.pattern for c in CHECKS} == PUBLISHED
    assert len({c.metric for c in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s["note"][:60])
def test_each_sample_record_matches_exactly_its_checks(sample):
    assert [c.control for c in CHECKS if matches(c.pattern, sample["record"])] == sample["matches"]


def test_every_check_has_records_it_matches_and_records_it_does_not():
    for check in CHECKS:
        assert any(check.control in s["matches"] for s in SAMPLES), check.control
    assert any(s["matches"] == [] for s in SAMPLES)


# The real records of events/real/ that the CIS patterns match, written by hand from each record's fields; every
# other record there must match none. A failed call still matches its event name: the patterns ignore errorCode.
REAL = {
    ("awsdocs-cloudtrail-event-reference.json", 0): ["CloudWatch.5"],  # StartLogging (console, an IAM user)
    ("awsdocs-cloudtrail-log-file-examples.json", 5): ["CloudWatch.5"],  # UpdateTrail, TrailNotFoundException
    ("awsdocs-config-log-file-examples.json", 0): ["CloudWatch.9"],  # DeleteDeliveryChannel
    ("awsdocs-config-log-file-examples.json", 5): ["CloudWatch.9"],  # PutConfigurationRecorder
    ("awsdocs-config-log-file-examples.json", 6): ["CloudWatch.9"],  # PutDeliveryChannel
    ("awsdocs-config-log-file-examples.json", 8): ["CloudWatch.9"],  # StopConfigurationRecorder
    ("ossem-create-flow-logs.json", 0): ["CloudWatch.1"],  # CreateFlowLogs by the root user
    ("panther-aws-cloudtrail-created.json", 0): ["CloudWatch.5"],
    ("panther-aws-cloudtrail-created.json", 1): ["CloudWatch.5"],
    ("panther-aws-cloudtrail-short-lifecycle.json", 0): ["CloudWatch.8"],
    ("panther-aws-cloudtrail-short-lifecycle.json", 1): ["CloudWatch.8"],
    ("panther-aws-cloudtrail-short-lifecycle.json", 2): ["CloudWatch.8"],
    ("panther-aws-cloudtrail-stopped.json", 0): ["CloudWatch.5"],
    ("panther-aws-cloudtrail-stopped.json", 1): ["CloudWatch.5"],
    ("panther-aws-cloudtrail-stopped.json", 2): ["CloudWatch.5"],
    ("panther-aws-config-service-created.json", 0): ["CloudWatch.9"],
    ("panther-aws-config-service-created.json", 1): ["CloudWatch.9"],
    ("panther-aws-config-service-created.json", 2): ["CloudWatch.9"],
    ("panther-aws-config-service-disabled-deleted.json", 0): ["CloudWatch.9"],
    ("panther-aws-config-service-disabled-deleted.json", 1): ["CloudWatch.9"],
    ("panther-aws-config-service-disabled-deleted.json", 2): ["CloudWatch.9"],
    ("panther-aws-ec2-vpc-modified.json", 0): ["CloudWatch.14"],
    ("panther-aws-ec2-vpc-modified.json", 1): ["CloudWatch.14"],
    **{("panther-aws-resource-made-public.json", i): ["CloudWatch.8"] for i in (0, 1, 2, 4, 5)},
    ("panther-aws-resource-made-public.json", 3): ["CloudWatch.2", "CloudWatch.8"],  # PutBucketPolicy, AccessDenied
    ("panther-aws-s3-bucket-policy-modified.json", 0): ["CloudWatch.8"],  # PutBucketAcl
    ("panther-aws-s3-bucket-policy-modified.json", 1): ["CloudWatch.2", "CloudWatch.8"],
    ("panther-aws-s3-delete-public-access-block.json", 1): ["CloudWatch.2"],  # AccessDenied
    ("panther-aws-s3-disable-bucket-logging.json", 1): ["CloudWatch.2"],  # AccessDenied
    ("panther-aws-security-configuration-change.json", 0): ["CloudWatch.5"],  # DeleteTrail
    ("panther-aws-security-configuration-change.json", 1): ["CloudWatch.5"],
    ("panther-aws-vpce-sensitive-api-calls.json", 0): ["CloudWatch.5"],  # UpdateTrail through an endpoint
    ("stratus-cloudtrail-delete.json", 0): ["CloudWatch.5"],
    ("stratus-cloudtrail-stop.json", 0): ["CloudWatch.5"],
    ("stratus-organizations-leave.json", 1): ["CloudWatch.2"],  # LeaveOrganization, AccessDenied
}


def test_the_real_records_match_what_their_fields_say():
    seen = 0
    for path in sorted((EVENTS / "real").glob("*.json")):
        for index, record in enumerate(json.loads(path.read_text())["records"]):
            found = [c.control for c in CHECKS if matches(c.pattern, record)]
            assert found == REAL.get((path.name, index), []), (path.name, index, record["eventName"])
            seen += 1
    assert seen > len(REAL) > 30


@pytest.mark.parametrize(
    ("pattern", "check"),
    [
        (PUBLISHED["CloudWatch.6"], "CloudWatch.6"),
        ('{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }', "CloudWatch.6"),
        ('{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication") && ($.x=1)}', None),  # a term more
        ('{($.errorCode="*UnauthorizedOperation")}', None),  # a term less
        ("{ $.eventName = ConsoleLogin }", None),
    ],
)
def test_a_filter_counts_only_with_the_published_pattern_spacing_and_quotes_aside(pattern, check):
    assert (check_of(pattern).control if check_of(pattern) else None) == check
    assert normalized(' { a = "b c" } ') == "{a=bc}"


# --- the verdict ------------------------------------------------------------------------------------------------

SUBSCRIBED, PENDING, UNREADABLE = TOPIC_ARN, f"{TOPIC_ARN}-pending", f"arn:aws:sns:{REGION}:210987654321:theirs"


def state(filtered=(), alarmed=(), actions=(SUBSCRIBED,), enabled=True, logging=True, management=("read", "write")):
    """A trail whose log group has the CIS filters of `filtered`, alarms on the metrics of `alarmed`."""
    filters = [{"name": f"f{c.metric}", "pattern": c.pattern, "metrics": [f"LogMetrics/{c.metric}"]}
               for c in CHECKS if c.control in filtered]  # fmt: skip
    alarms = {f"LogMetrics/{c.metric}": [{"name": f"a{c.metric}", "enabled": enabled, "actions": list(actions)}]
              for c in CHECKS if c.control in alarmed}  # fmt: skip
    trail = {"arn": TRAIL, "logging": logging, "management": list(management), "log_group": GROUP, "filters": filters}
    subscribers = {SUBSCRIBED: 1, PENDING: 0, UNREADABLE: None}
    return {"trails": [trail], "alarms": alarms, "subscribers": subscribers, "alarm_names": []}


ALL = [c.control for c in CHECKS]


def account(**kwargs) -> Resource:
    return Resource(ME, REGION, ACCOUNT, state(**kwargs))


@pytest.mark.parametrize(
    ("resource", "status", "phrases"),
    [
        (account(filtered=ALL, alarmed=ALL), Status.PASSED, ["all 14 CIS monitoring checks"]),
        (account(), Status.FAILED, ["14 of 14", "CloudWatch.1 no metric filter with the CIS pattern"]),
        (account(filtered=ALL, alarmed=ALL[1:]), Status.FAILED, ["1 of 14", "CloudWatch.1 a metric filter but no"]),
        (account(filtered=ALL, alarmed=ALL, actions=(PENDING,)), Status.FAILED, ["none notifies an SNS topic with"]),
        (account(filtered=ALL, alarmed=ALL, actions=(UNREADABLE,)), Status.FAILED, ["subscriptions cannot be read"]),
        (account(filtered=ALL, alarmed=ALL, enabled=False), Status.FAILED, ["none notifies"]),  # actions disabled
        (account(filtered=ALL, alarmed=ALL, actions=(PENDING, SUBSCRIBED)), Status.PASSED, ["all 14"]),
        (account(filtered=ALL, alarmed=ALL, logging=False), Status.FAILED, ["no multi-region trail homed here"]),
        (account(filtered=ALL, alarmed=ALL, management=("write",)), Status.FAILED, ["all management events"]),
    ],
)
def test_evaluate(resource, status, phrases):
    verdict = CONTROL.evaluate(resource, {TOPIC.name: TOPIC_ARN})
    assert verdict.status is status
    for phrase in phrases:
        assert phrase in verdict.reason
    assert verdict.fixable is (status is Status.FAILED and "homed here" not in verdict.reason)


def test_a_check_met_on_any_trail_is_met_and_the_fix_targets_the_most_complete_trail():
    mixed = state(filtered=ALL[:3], alarmed=ALL[:3])
    other = state(filtered=ALL[3:], alarmed=ALL[3:])["trails"][0] | {"arn": TRAIL + "-2", "log_group": "other"}
    mixed["alarms"] |= state(filtered=ALL[3:], alarmed=ALL[3:])["alarms"]
    mixed["trails"].append(other)
    verdict = CONTROL.evaluate(Resource(ME, REGION, ACCOUNT, mixed), {TOPIC.name: TOPIC_ARN})
    assert verdict.status is Status.PASSED


def test_the_fix_targets_the_trail_closest_to_complete_and_between_equals_the_first_by_arn():
    tied = state()
    tied["trails"].insert(0, tied["trails"][0] | {"arn": TRAIL + "-2", "log_group": "other"})
    best, gaps = alerting_gaps(tied)
    assert best is not None and best["arn"] == TRAIL and len(gaps) == len(CHECKS)
    # A later ARN closer to complete is still the target: three checks met there, none on the first.
    ahead = state(filtered=ALL[:3], alarmed=ALL[:3])
    ahead["trails"][0] |= {"arn": TRAIL + "-2", "log_group": "other"}
    ahead["trails"].insert(0, state()["trails"][0])
    best, gaps = alerting_gaps(ahead)
    assert best is not None and best["arn"] == TRAIL + "-2" and sorted(gaps) == sorted(ALL[3:])


def sns_listing(stub: Stubber, error: str = "", **response) -> None:
    params = {"TopicArn": TOPIC_ARN}
    if error:
        stub.add_client_error("list_subscriptions_by_topic", error, expected_params=params)
    else:
        stub.add_response("list_subscriptions_by_topic", response, params)


def test_a_topics_confirmed_subscribers_are_counted_and_one_that_cannot_be_read_is_none_not_a_failed_read():
    sns = boto3.client("sns", region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s")
    confirmed = {"SubscriptionArn": TOPIC_ARN + ":0f1e", "TopicArn": TOPIC_ARN, "Protocol": "email"}
    pending = confirmed | {"SubscriptionArn": "PendingConfirmation"}
    with Stubber(sns) as stub:
        sns_listing(stub, Subscriptions=[confirmed, pending, confirmed])
        assert subscribers(sns, TOPIC_ARN) == 2
        # SNS's codes (botocore's model): AuthorizationError (another account's topic), NotFound (deleted since)
        for code in ("AuthorizationError", "NotFound"):
            sns_listing(stub, code)
            assert subscribers(sns, TOPIC_ARN) is None, code
        sns_listing(stub, "InternalError")
        with pytest.raises(ClientError):
            subscribers(sns, TOPIC_ARN)
        stub.assert_no_pending_responses()


def test_nothing_to_fix_where_the_missing_checks_already_have_logbaseline_s_own_alarms():
    """Its topic lost its subscriber, say: the fix could only replace its own alarm, so no fix is offered (and the
    PutMetricFilter events of an earlier fix never turn into more fix requests)."""
    done = state(filtered=ALL, alarmed=ALL, actions=(PENDING,))
    done["alarm_names"] = [alarm_name(c) for c in CHECKS]
    verdict = CONTROL.evaluate(Resource(ME, REGION, ACCOUNT, done), {TOPIC.name: TOPIC_ARN})
    assert (verdict.status, verdict.fixable) == (Status.FAILED, False)
    done["alarm_names"] = done["alarm_names"][1:]
    assert CONTROL.evaluate(Resource(ME, REGION, ACCOUNT, done), {TOPIC.name: TOPIC_ARN}).fixable


def test_without_a_topic_the_gap_is_reported_and_the_fix_is_blocked_by_name():
    verdict = CONTROL.evaluate(account(), {TOPIC.name: ""})
    assert (verdict.status, verdict.fixable) == (Status.FAILED, False)
    assert (
        "parameter SecurityAlarmTopicArn" in verdict.blocked
        and "LOGBASELINE_SECURITY_ALARM_TOPIC_ARN" in verdict.blocked
    )


# --- the fix ----------------------------------------------------------------------------------------------------


def fix(resource: Resource, topic: str = TOPIC_ARN) -> list[Change]:
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, resource, {TOPIC.name: topic})
    return changes.made


def test_the_fix_adds_a_filter_and_an_alarm_per_missing_check_and_only_alarms_on_existing_filters():
    made = fix(account(filtered=ALL[:2]))  # CloudWatch.1 and .2 have filters (other namespace), no alarms
    filters = [c for c in made if c.operation == "put_metric_filter"]
    alarms = [c for c in made if c.operation == "put_metric_alarm"]
    assert [c.parameters["filterPattern"] for c in filters] == [c.pattern for c in CHECKS[2:]]
    assert {c.parameters["logGroupName"] for c in filters} == {GROUP}
    assert filters[0].parameters["metricTransformations"] == [
        {"metricName": "ConsoleSignInWithoutMFA", "metricNamespace": NAMESPACE, "metricValue": "1"}
    ]
    assert [c.parameters["AlarmName"] for c in alarms] == [alarm_name(c) for c in CHECKS]
    assert (alarms[0].parameters["Namespace"], alarms[0].parameters["MetricName"]) == ("LogMetrics", "RootAccountUsage")
    assert (alarms[2].parameters["Namespace"], alarms[2].parameters["MetricName"]) == (NAMESPACE, CHECKS[2].metric)
    assert all(c.parameters["AlarmActions"] == [TOPIC_ARN] and c.parameters["Threshold"] == 1.0 for c in alarms)
    assert all(c.region == REGION for c in made) and len(made) == 12 + 14
    # The CIS benchmark's alarm: one event in one five-minute period alarms, and no data is no alarm.
    cis = {"Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0}
    cis |= {"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching"}
    assert all(c.parameters.items() >= cis.items() for c in alarms)


def test_the_fix_never_replaces_an_alarm_or_a_filter_of_the_same_name():
    taken = state(filtered=ALL[:1])
    taken["alarm_names"] = [alarm_name(CHECKS[0])]
    taken["trails"][0]["filters"].append({"name": f"logbaseline-{CHECKS[1].control}-{CHECKS[1].metric}",
                                          "pattern": "{ $.x = 1 }", "metrics": ["Other/x"]})  # fmt: skip
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match="exists and is left as it is"):
        CONTROL.remediate(changes, Resource(ME, REGION, ACCOUNT, taken), {TOPIC.name: TOPIC_ARN})
    names = {c.parameters.get("AlarmName") or c.parameters["filterName"] for c in changes.made}
    assert alarm_name(CHECKS[0]) not in names and f"logbaseline-{CHECKS[1].control}-{CHECKS[1].metric}" not in names
    assert len(changes.made) == 2 * 12  # the twelve others, each a filter and an alarm


@pytest.mark.parametrize(
    ("resource", "topic", "reason"),
    [
        (account(), "", "no SNS topic configured"),
        (account(filtered=ALL, alarmed=ALL), TOPIC_ARN, "nothing is missing"),
        (account(logging=False), TOPIC_ARN, "no log group"),
    ],
)
def test_the_fix_refuses(resource, topic, reason):
    with pytest.raises(FixFailed, match=reason):
        fix(resource, topic)


def test_the_fix_role_may_create_only_its_own_alarms_and_only_with_sns_actions():
    account_id, identity = policies("remediator", "everything")
    alarm = f"arn:aws:cloudwatch:eu-west-1:{account_id}:alarm:"
    sns = {"cloudwatch:AlarmActions": [f"arn:aws:sns:eu-west-1:{account_id}:security-alarms"]}
    terminate = {"cloudwatch:AlarmActions": ["arn:aws:automate:eu-west-1:ec2:terminate"]}
    assert allowed(Request("cloudwatch:PutMetricAlarm", alarm + alarm_name(CHECKS[0]), sns), identity)
    assert not allowed(Request("cloudwatch:PutMetricAlarm", alarm + alarm_name(CHECKS[0]), terminate), identity)
    assert not allowed(Request("cloudwatch:PutMetricAlarm", alarm + "billing-alarm", sns), identity)
    evaluator = policies("evaluator", "everything")[1]
    assert not allowed(Request("logs:PutMetricFilter", f"arn:aws:logs:eu-west-1:{account_id}:log-group:x"), evaluator)


# --- round trips on the moto server -----------------------------------------------------------------------------


def seed(aws, *, subscribed=True) -> str:
    """A logging multi-region trail recording all management events, delivering to a log group; a topic."""
    aws("s3").create_bucket(Bucket="org-cloudtrail-logs-123456789012")
    aws("logs").create_log_group(logGroupName=GROUP)
    [group] = aws("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
    role = aws("iam").create_role(RoleName="cloudtrail-logs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(
        Name="management-events", S3BucketName="org-cloudtrail-logs-123456789012", IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=group["arn"], CloudWatchLogsRoleArn=role,
    )["TrailARN"]  # fmt: skip
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=[{"ReadWriteType": "All"}])
    cloudtrail.start_logging(Name=arn)
    topic = aws("sns").create_topic(Name="security-alarms")["TopicArn"]
    if subscribed:
        queue = aws("sqs").create_queue(QueueName="alarm-inbox")["QueueUrl"]
        queue_arn = aws("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
        aws("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["QueueArn"])
    return topic


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_in_auto_mode(aws, account_id):
    """PutMetricFilter event -> FAILED -> fix -> 14 filters and alarms -> PASSED, verified; a repeat adds nothing."""
    topic = seed(aws)
    resource_id = f"AWS::::Account:{account_id}"
    service = make_service(
        account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto", LOGBASELINE_SECURITY_ALARM_TOPIC_ARN=topic
    )
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    report = service.evaluate_event(load_event("cloudtrail/logs-PutMetricFilter.json"))
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (resource_id, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert (finding["Compliance"]["Status"], finding["Resources"][0]["Type"]) == ("FAILED", "AwsAccount")
    [request] = [r for r in report.fixes_requested if r.control_id == CONTROL.id]

    [fixed] = service.fix(request)
    assert fixed.fix["Outcome"] == "verified", fixed.fix
    filters = aws("logs").describe_metric_filters(logGroupName=GROUP)["metricFilters"]
    assert sorted(f["filterPattern"] for f in filters) == sorted(c.pattern for c in CHECKS)
    alarms = aws("cloudwatch").describe_alarms(AlarmNamePrefix="logbaseline-")["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(alarm_name(c) for c in CHECKS)
    assert {tuple(a["AlarmActions"]) for a in alarms} == {(topic,)}
    assert findings_by_resource(aws)[(CONTROL.id, resource_id)]["Compliance"]["Status"] == "PASSED"

    [again] = service.fix(request)
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(load_event("cloudtrail/logs-DeleteMetricFilter.json"))
    assert [o.verdict.status for o in mine(second)] == [Status.PASSED]
    assert len(aws("logs").describe_metric_filters(logGroupName=GROUP)["metricFilters"]) == 14


def test_round_trip_default_mode_plans_only_and_an_unsubscribed_topic_is_named(aws, account_id):
    """Dry-run (the default): the fix is planned, nothing is created. With alarms on a topic without a subscriber,
    the finding says so."""
    topic = seed(aws, subscribed=False)
    assert CONTROL.default_mode is Mode.DRY_RUN
    check = CHECKS[0]
    aws("logs").put_metric_filter(
        logGroupName=GROUP, filterName="root", filterPattern=check.pattern,
        metricTransformations=[{"metricName": "Root", "metricNamespace": "LogMetrics", "metricValue": "1"}],
    )  # fmt: skip
    aws("cloudwatch").put_metric_alarm(
        AlarmName="root", MetricName="Root", Namespace="LogMetrics", Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
    )  # fmt: skip
    service = make_service(account_id, LOGBASELINE_SECURITY_ALARM_TOPIC_ARN=topic)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    [outcome] = mine(service.evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json")))
    assert "CloudWatch.1 an alarm, but none notifies an SNS topic with a confirmed subscriber" in outcome.verdict.reason
    [planned] = service.fix(FixRequest(CONTROL.id, account_id, REGION, f"AWS::::Account:{account_id}"))
    assert planned.fix["Outcome"] == "planned", planned.fix
    assert [f["filterName"] for f in aws("logs").describe_metric_filters(logGroupName=GROUP)["metricFilters"]] == [
        "root"
    ]
    assert [a["AlarmName"] for a in aws("cloudwatch").describe_alarms()["MetricAlarms"]] == ["root"]
