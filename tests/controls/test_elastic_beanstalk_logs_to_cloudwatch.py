"""elastic_beanstalk_logs_to_cloudwatch: the pure verdict, the reads on botocore's Stubber (moto has no
DescribeConfigurationSettings; docs/emulator-gaps.md), and a round trip of the service on moto with that client
stubbed."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from logbaseline.controls.elastic_beanstalk_logs_to_cloudwatch import CONTROL, NAMESPACE
from logbaseline.engine import AccountClients, Service
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event

ARN = "arn:aws:elasticbeanstalk:us-east-1:123456789012:environment/orders/orders-web"  # the samples' environment
PARAMS = {"retention_floor_days": 365, "retention_ceiling_days": 2557}


@pytest.mark.parametrize(
    ("stream", "days", "delete", "status", "phrase"),
    [
        ("false", "7", "false", Status.FAILED, "does not stream its instance logs to CloudWatch Logs"),
        ("true", "365", "false", Status.PASSED, "kept 365 days and after termination"),
        ("true", "3653", "false", Status.FAILED, "keeps them 3653 days, outside the baseline's 365 to 2557"),
        ("true", "2557", "false", Status.PASSED, "kept 2557 days"),  # the ceiling itself is within
        ("true", "7", "false", Status.FAILED, "keeps them 7 days, outside"),  # Elastic Beanstalk's default
        ("true", "731", "true", Status.FAILED, "deletes them when the environment is terminated"),
        ("TRUE", "7", "true", Status.FAILED, "outside the baseline's 365 to 2557 (RetentionInDays) and deletes"),
    ],
)
def test_evaluate(stream, days, delete, status, phrase):
    state = {"name": "orders-web", "application": "orders", "StreamLogs": stream}
    state |= {"RetentionInDays": days, "DeleteOnTerminate": delete}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), PARAMS)
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix_and_the_baselines_retention():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub ElasticBeanstalk.3" in CONTROL.related_requirements
    assert {p.name for p in CONTROL.parameters} == set(PARAMS)


# --- the reads, held to the service model ------------------------------------------------------------


def environment(name: str, status: str = "Ready") -> dict:
    arn = f"arn:aws:elasticbeanstalk:{REGION}:123456789012:environment/orders/{name}"
    return {"EnvironmentName": name, "ApplicationName": "orders", "EnvironmentArn": arn, "Status": status}


def settings(name: str, **options: str) -> dict:
    listed = [{"Namespace": NAMESPACE, "OptionName": k, "Value": v} for k, v in options.items()]
    secret = {"Namespace": "aws:elasticbeanstalk:application:environment", "OptionName": "DB_PASSWORD"}
    listed.append(secret | {"Value": "s3cret"})  # an environment property: never kept
    return {"ConfigurationSettings": [{"ApplicationName": "orders", "EnvironmentName": name, "OptionSettings": listed}]}


def stub_reads(stubber: Stubber, environments: list[dict], named: str | None = None, **per_name: dict) -> None:
    query = {"IncludeDeleted": False} | ({"EnvironmentNames": [named]} if named else {})
    stubber.add_response("describe_environments", {"Environments": environments}, query)
    for env in environments:
        if env["Status"] not in ("Terminating", "Terminated"):
            expected = {"ApplicationName": "orders", "EnvironmentName": env["EnvironmentName"]}
            stubber.add_response("describe_configuration_settings", per_name[env["EnvironmentName"]], expected)


class StubbedClients:
    def __init__(self) -> None:
        from logbaseline.aws import Clients

        self.beanstalk = Clients(REGION, config=NO_RETRY)("elasticbeanstalk")
        self.stubber = Stubber(self.beanstalk)

    def __call__(self, service: str, region: str | None = None):
        assert service == "elasticbeanstalk"
        return self.beanstalk


def test_collect_keeps_only_the_log_options_with_elastic_beanstalks_defaults():
    clients = StubbedClients()
    envs = [environment("orders-web"), environment("orders-worker"), environment("orders-old", "Terminated")]
    stub_reads(
        clients.stubber,
        envs,
        **{
            "orders-web": settings("orders-web", StreamLogs="true", RetentionInDays="365"),
            "orders-worker": settings("orders-worker"),  # nothing set: every default
        },
    )
    with clients.stubber:
        found = {r.state["name"]: r.state for r in CONTROL.collect(clients, Scope("123456789012", REGION))}
    clients.stubber.assert_no_pending_responses()
    assert found["orders-web"] == {
        "name": "orders-web",
        "application": "orders",
        "StreamLogs": "true",
        "DeleteOnTerminate": "false",
        "RetentionInDays": "365",
    }
    assert (found["orders-worker"]["StreamLogs"], found["orders-worker"]["RetentionInDays"]) == ("false", "7")
    assert "orders-old" not in found and "s3cret" not in str(found)


# --- round trip: the service on moto, the Elastic Beanstalk client stubbed --------------------------


def test_round_trip_an_environment_without_log_streaming_then_streaming(aws, account_id):
    accounts = AccountClients(account_id)
    beanstalk = accounts(account_id, REGION)("elasticbeanstalk")
    stubber = Stubber(beanstalk)
    service = Service(Settings.from_env({}), accounts, aws)
    web = environment("orders-web")
    stub_reads(stubber, [web], "orders-web", **{"orders-web": settings("orders-web", StreamLogs="false")})
    stub_reads(stubber, [web], "orders-web", **{"orders-web": settings("orders-web", StreamLogs="true",
                                                                      RetentionInDays="400")})  # fmt: skip
    stub_reads(stubber, [], "orders-web")  # then terminated
    with stubber:
        report = service.evaluate_event(load_event("cloudtrail/elasticbeanstalk-CreateEnvironment.json"))
        mine = [(o.resource_id, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]
        assert mine == [(ARN, Status.FAILED)] and report.fixes_requested == []
        finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
        assert finding["Resources"][0]["Type"] == "AwsElasticBeanstalkEnvironment"

        report = service.evaluate_event(load_event("config/AWS-ElasticBeanstalk-Environment.json"))
        [outcome] = [o for o in report.outcomes if o.control.id == CONTROL.id]
        assert outcome.verdict.status is Status.PASSED and "kept 400 days" in outcome.verdict.reason

        service.evaluate_event(load_event("cloudtrail/elasticbeanstalk-UpdateEnvironment.json"))
    stubber.assert_no_pending_responses()
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
