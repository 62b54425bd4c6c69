"""EC2 instances managed by Systems Manager ship their operating-system and application logs to CloudWatch Logs: a
State Manager association of AmazonCloudWatch-ManageAgent configures the CloudWatch agent on each instance from a
configuration in Parameter Store, and its last run on the instance succeeded.

What it cannot see, said in each finding's terms: an instance Systems Manager does not manage (Security Hub SSM.1
and the Config rule ec2-instance-managed-by-systems-manager report those) is not judged, since nothing in the API
shows what runs inside it; nor is a stopped one, which Systems Manager does not list; a running managed instance
whose SSM Agent is not Online is NOT_AVAILABLE; an agent installed and configured by user data, an AMI or other
tooling is invisible, so such an instance fails until an association manages the agent (Inventory's
AWS:Application would show the agent installed, not what it ships, so it is not read); what the configuration's
`logs` section collects is not read either: that needs ssm:GetParameter on the team's parameters, whose values may
hold secrets, and the service's roles read no parameter's value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, not_applicable, passed

DOCUMENT = "AmazonCloudWatch-ManageAgent"
CONFIGURE = ("configure", "configure (append)")  # the actions that load a configuration (the document's default)
PARAMETER_STORE = "ssm"  # optionalConfigurationSource; "default" loads the agent's default: metrics, no logs
NOT_MANAGED = "InvalidInstanceId"  # DescribeInstanceInformation lists no stopped, terminated or unmanaged instance


def instance_arn(scope: Scope) -> str:
    instance = (scope.resource_id or "").rsplit("/", 1)[-1]
    return f"arn:{partition(scope.region)}:ec2:{scope.region}:{scope.account_id}:instance/{instance}"


def _configuration(description: Mapping[str, Any]) -> dict[str, str]:
    parameters = {key: (values or [""])[0] for key, values in (description.get("Parameters") or {}).items()}
    return {
        "name": description.get("AssociationName") or description["AssociationId"],
        "action": parameters.get("action", "configure"),
        "source": parameters.get("optionalConfigurationSource", PARAMETER_STORE),
        "location": parameters.get("optionalConfigurationLocation", ""),
    }


def _configurations(ssm: Any) -> dict[str, dict[str, str]]:
    """The region's associations of the document, by id: ListAssociations does not answer their parameters."""
    configurations = {}
    listed = ssm.get_paginator("list_associations").paginate(AssociationFilterList=[{"key": "Name", "value": DOCUMENT}])
    for summary in (summary for page in listed for summary in page["Associations"]):
        try:
            described = ssm.describe_association(AssociationId=summary["AssociationId"])["AssociationDescription"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "AssociationDoesNotExist":
                raise
            continue  # deleted since the listing
        configurations[summary["AssociationId"]] = _configuration(described)
    return configurations


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    ssm = clients("ssm")
    filters = [{"Key": "ResourceType", "Values": ["EC2Instance"]}]
    if scope.resource_id:
        filters.append({"Key": "InstanceIds", "Values": [scope.resource_id.rsplit("/", 1)[-1]]})
    pages = ssm.get_paginator("describe_instance_information").paginate(Filters=filters)
    try:
        nodes = [node for page in pages for node in page["InstanceInformationList"]]
    except ClientError as error:  # the instance named is stopped, terminated or no longer managed
        if not scope.resource_id or error.response["Error"]["Code"] != NOT_MANAGED:
            raise
        nodes = []
    if not nodes:
        return []  # no managed instance: nothing to judge, and no further read
    configurations = _configurations(ssm)
    resources = []
    for node in nodes:
        applied = []
        if configurations and node["PingStatus"] == "Online":  # a status read per instance only when it can tell
            pages = ssm.get_paginator("describe_instance_associations_status").paginate(InstanceId=node["InstanceId"])
            for info in (info for page in pages for info in page["InstanceAssociationStatusInfos"]):
                if info["AssociationId"] in configurations:
                    status = {"status": info["Status"], "detail": info.get("DetailedStatus") or info["Status"]}
                    applied.append({**configurations[info["AssociationId"]], **status})
        state = {"ping": node["PingStatus"], "associations": applied}
        arn = instance_arn(Scope(scope.account_id, scope.region, node["InstanceId"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state))
    return resources


def _ships(association: Mapping[str, str]) -> bool:
    action, source, location = association["action"], association["source"], association["location"]
    return action in CONFIGURE and source == PARAMETER_STORE and bool(location)


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state, instance = resource.state, resource.resource_id.rsplit("/", 1)[-1]
    if state["ping"] != "Online":
        return not_applicable(
            f"the SSM Agent of {instance} is {state['ping']} (it stopped reporting, or the instance is stopping): "
            "what the instance ships cannot be seen until it reports again"
        )
    shipping = [a for a in state["associations"] if _ships(a)]
    succeeded = [a for a in shipping if a["status"] == "Success"]
    if succeeded:
        names = ", ".join(f"{a['name']} (configuration {a['location']})" for a in succeeded)
        return passed(f"the CloudWatch agent on {instance} is configured from Parameter Store by {names}")
    if shipping:
        names = ", ".join(f"{a['name']} ({a['detail']})" for a in shipping)
        return failed(
            f"the association configuring the CloudWatch agent on {instance} did not succeed on it: {names}; "
            "its logs may not reach CloudWatch Logs"
        )
    if state["associations"]:
        names = ", ".join(f"{a['name']} (action {a['action']}, source {a['source']})" for a in state["associations"])
        return failed(
            f"{instance}'s {DOCUMENT} associations load no log configuration: {names} (the agent's default "
            "configuration collects metrics, not logs; start, stop and status load none)"
        )
    return failed(
        f"no State Manager association of {DOCUMENT} configures the CloudWatch agent on {instance}: its operating-"
        "system and application logs are not known to reach CloudWatch Logs"
    )


CONTROL = Control(
    id="ec2_instance_logs_to_cloudwatch",
    title="EC2 instances managed by Systems Manager ship their logs with the CloudWatch agent",
    description=(
        f"Each EC2 instance Systems Manager manages has a State Manager association of {DOCUMENT} with action "
        "configure from a Parameter Store configuration (optionalConfigurationSource ssm and a location), whose "
        "last run on the instance succeeded. An instance whose SSM Agent is not Online: NOT_AVAILABLE. Not seen: "
        "instances Systems Manager does not manage (Security Hub SSM.1 reports them), agents set up without an "
        "association, and what the configuration's logs section collects (no Security Hub control or AWS Config "
        "managed rule checks this)."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsEc2Instance",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=instance_arn,
    remediation_text=(
        "Store a CloudWatch agent configuration with a logs section (the operating system's logs, and your "
        "applications' log files or Windows event logs) in Parameter Store, give the instances' role "
        f"CloudWatchAgentServerPolicy, and create a State Manager association of {DOCUMENT} targeting them "
        "(action configure, optionalConfigurationSource ssm, optionalConfigurationLocation the parameter's name, "
        "optionalRestart yes), after installing the agent (AWS-ConfigureAWSPackage, name AmazonCloudWatchAgent)."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(  # an association names its targets, not each instance: the region is judged again
            "ssm.amazonaws.com",
            ("CreateAssociation", "CreateAssociationBatch", "UpdateAssociation", "DeleteAssociation"),
        ),
    ),
    read_actions=(
        "ssm:DescribeInstanceInformation",
        "ssm:ListAssociations",
        "ssm:DescribeAssociation",
        "ssm:DescribeInstanceAssociationsStatus",
    ),
    fix_description="none: installing and configuring software on instances, and what they log, is for a person.",
)
