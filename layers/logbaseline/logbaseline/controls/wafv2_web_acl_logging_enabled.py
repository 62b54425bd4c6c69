"""A WAFv2 web ACL logs the requests it inspects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control, denied
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# CloudFront web ACLs are managed, recorded by CloudTrail and judged in us-east-1 only.
CLOUDFRONT_REGION = "us-east-1"


def web_acl_id(scope: Scope) -> str:
    """The finding's resource id: the ARN (every trigger names the web ACL by ARN)."""
    return scope.resource_id or ""


def web_acls(wafv2: Any, waf_scope: str) -> Iterator[dict[str, Any]]:
    """ListWebACLs has no paginator in botocore: follow NextMarker by hand."""
    query: dict[str, Any] = {"Scope": waf_scope, "Limit": 100}
    while True:
        page = wafv2.list_web_acls(**query)
        yield from page.get("WebACLs", [])
        if not page.get("WebACLs") or not page.get("NextMarker") or page["NextMarker"] == query.get("NextMarker"):
            return
        query["NextMarker"] = page["NextMarker"]


def waf_scopes(region: str) -> tuple[str, ...]:
    return ("REGIONAL", "CLOUDFRONT") if region == CLOUDFRONT_REGION else ("REGIONAL",)


def logging_configuration(wafv2: Any, arn: str) -> dict[str, Any]:
    try:
        return wafv2.get_logging_configuration(ResourceArn=arn)["LoggingConfiguration"]
    except wafv2.exceptions.WAFNonexistentItemException:  # no logging configuration
        return {}


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    wafv2 = clients("wafv2")
    given = scope.resource_id
    resources = []
    for waf_scope in waf_scopes(scope.region):
        for acl in web_acls(wafv2, waf_scope):
            if given and given not in (acl["ARN"], acl["Name"], acl["Id"]):
                continue
            try:
                logging = logging_configuration(wafv2, acl["ARN"])
            except ClientError as error:
                if not denied(error):
                    raise
                unread = Resource(
                    scope.account_id, scope.region, acl["ARN"], {"name": acl["Name"]}, unreadable=str(error)
                )
                resources.append(unread)  # its own read failure; the other web ACLs keep their verdicts
                continue
            state = {
                "name": acl["Name"],
                "id": acl["Id"],
                "scope": waf_scope,
                "destinations": list(logging.get("LogDestinationConfigs") or []),
                "firewall_manager": bool(logging.get("ManagedByFirewallManager")),
            }
            resources.append(Resource(scope.account_id, scope.region, acl["ARN"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{state['scope']} web ACL {state['name']}"
    if state["destinations"]:
        by = " (managed by Firewall Manager)" if state["firewall_manager"] else ""
        return passed(f"{label} logs to {', '.join(state['destinations'])}{by}")
    return failed(f"{label} has no logging configuration: the requests it inspects are not logged")


CONTROL = Control(
    id="wafv2_web_acl_logging_enabled",
    title="WAF web ACLs log the requests they inspect",
    description=(
        "A WAFv2 web ACL has a logging configuration: REGIONAL web ACLs in every region, CLOUDFRONT ones in us-east-1."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsWafv2WebAcl",
    related_requirements=(SEC04_BP01, "Security Hub WAF.11"),
    collect=collect,
    evaluate=evaluate,
    resource_id=web_acl_id,
    remediation_text=(
        "Turn on logging for the web ACL, to a CloudWatch Logs log group, S3 bucket or Firehose stream whose name "
        "starts with aws-waf-logs-, with redacted fields as your data requires."
    ),
    config_triggers=(ConfigTrigger("AWS::WAFv2::WebACL", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "wafv2.amazonaws.com",
            ("CreateWebACL", "PutLoggingConfiguration", "DeleteLoggingConfiguration"),
            # CreateWebACL returns the ARN (as "aRN"); the logging calls send it.
            "responseElements.summary.aRN || requestParameters.loggingConfiguration.resourceArn"
            " || requestParameters.resourceArn",
        ),
    ),
    read_actions=("wafv2:ListWebACLs", "wafv2:GetLoggingConfiguration"),
    default_mode=Mode.OFF,
    fix_description="none: the destination, its name and the redacted fields are for a person to choose.",
)
