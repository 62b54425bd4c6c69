"""An Elastic Beanstalk environment streams its instances' logs to CloudWatch Logs, kept between the baseline's
retention floor and ceiling, and not deleted when the environment is terminated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.controls.logs_log_group_retention_bounded import CEILING, FLOOR
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

NAMESPACE = "aws:elasticbeanstalk:cloudwatch:logs"
# Elastic Beanstalk's defaults for the namespace's options (Elastic Beanstalk developer guide, "General options for
# all environments", aws:elasticbeanstalk:cloudwatch:logs).
DEFAULTS = {"StreamLogs": "false", "DeleteOnTerminate": "false", "RetentionInDays": "7"}


def environment_arn(scope: Scope) -> str:
    return scope.resource_id or ""  # the triggers name the environment by ARN, else by name (then so does this)


def environment_name(value: str) -> str:
    """The name from the environment's name or ARN (arn:...:environment/<application>/<name>)."""
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    beanstalk = clients("elasticbeanstalk")
    query: dict[str, Any] = {"IncludeDeleted": False}
    if scope.resource_id:
        query["EnvironmentNames"] = [environment_name(scope.resource_id)]
    pages = beanstalk.get_paginator("describe_environments").paginate(**query)
    resources = []
    for environment in (e for page in pages for e in page["Environments"]):
        if environment.get("Status") in ("Terminating", "Terminated"):
            continue
        answer = beanstalk.describe_configuration_settings(
            ApplicationName=environment["ApplicationName"], EnvironmentName=environment["EnvironmentName"]
        )
        # Only this namespace is kept: the settings also hold the environment's properties, which may be secrets.
        options = dict(DEFAULTS) | {
            o["OptionName"]: o.get("Value", "")
            for settings in answer["ConfigurationSettings"]
            for o in settings.get("OptionSettings") or []
            if o.get("Namespace") == NAMESPACE and o.get("OptionName") in DEFAULTS
        }
        state = {"name": environment["EnvironmentName"], "application": environment["ApplicationName"]} | options
        resources.append(Resource(scope.account_id, scope.region, environment["EnvironmentArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"environment {state['name']} (application {state['application']})"
    if state["StreamLogs"].lower() != "true":
        return failed(f"{label} does not stream its instance logs to CloudWatch Logs (StreamLogs false)")
    problems = []
    days, floor, ceiling = state["RetentionInDays"], params[FLOOR.name], params[CEILING.name]
    if not days.isdigit() or not floor <= int(days) <= ceiling:
        problems.append(f"keeps them {days} days, outside the baseline's {floor} to {ceiling} (RetentionInDays)")
    if state["DeleteOnTerminate"].lower() == "true":
        problems.append("deletes them when the environment is terminated (DeleteOnTerminate true)")
    if problems:
        return failed(f"{label} streams its logs to CloudWatch Logs but {' and '.join(problems)}")
    return passed(f"{label} streams its logs to CloudWatch Logs, kept {days} days and after termination")


CONTROL = Control(
    id="elastic_beanstalk_logs_to_cloudwatch",
    title="Elastic Beanstalk environments stream their logs to CloudWatch Logs",
    description=(
        f"An environment's {NAMESPACE} options: StreamLogs true, RetentionInDays between the retention floor and "
        "ceiling, DeleteOnTerminate false. The read returns every option setting; only this namespace is kept."
    ),
    severity=Severity.HIGH,
    resource_type="AwsElasticBeanstalkEnvironment",
    related_requirements=(SEC04_BP01, "Security Hub ElasticBeanstalk.3"),
    collect=collect,
    evaluate=evaluate,
    resource_id=environment_arn,
    remediation_text=(
        f"Set the environment's {NAMESPACE} options (console: Configuration, Updates, monitoring and logging, "
        "Instance log streaming; or UpdateEnvironment OptionSettings): StreamLogs true, RetentionInDays within the "
        "baseline, DeleteOnTerminate false. The instance profile needs logs:CreateLogStream and logs:PutLogEvents; "
        "the update redeploys the environment's instances' configuration."
    ),
    config_triggers=(ConfigTrigger("AWS::ElasticBeanstalk::Environment", "ARN || resourceName"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "elasticbeanstalk.amazonaws.com",
            ("CreateEnvironment", "UpdateEnvironment"),
            "responseElements.environmentArn || requestParameters.environmentName",
        ),
    ),
    parameters=(FLOOR, CEILING),
    read_actions=("elasticbeanstalk:DescribeEnvironments", "elasticbeanstalk:DescribeConfigurationSettings"),
    default_mode=Mode.OFF,
    fix_description="none: an environment update changes its instances' configuration, a person's change.",
)
