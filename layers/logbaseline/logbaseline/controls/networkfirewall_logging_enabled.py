"""An AWS Network Firewall firewall logs its flows and its alerts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

REQUIRED = ("FLOW", "ALERT")  # TLS logs are a team's choice
EVENT_SOURCE = "network-firewall.amazonaws.com"


def firewall_arn(scope: Scope) -> str:
    given = scope.resource_id or ""
    if given.startswith("arn:"):
        return given
    return f"arn:{partition(scope.region)}:network-firewall:{scope.region}:{scope.account_id}:firewall/{given}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    firewall = clients("network-firewall")
    pages = firewall.get_paginator("list_firewalls").paginate()
    found = [f for page in pages for f in page.get("Firewalls", [])]
    given = scope.resource_id
    found = [f for f in found if not given or given in (f["FirewallArn"], f["FirewallName"])]
    resources = []
    for item in found:
        try:
            logging = firewall.describe_logging_configuration(FirewallArn=item["FirewallArn"])
        except firewall.exceptions.ResourceNotFoundException:
            continue  # deleted since the listing
        configs = (logging.get("LoggingConfiguration") or {}).get("LogDestinationConfigs") or []
        destinations = {c["LogType"]: c.get("LogDestinationType", "") for c in configs}
        state = {"name": item["FirewallName"], "destinations": destinations}
        resources.append(Resource(scope.account_id, scope.region, item["FirewallArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    missing = [t for t in REQUIRED if t not in state["destinations"]]
    if not missing:
        kinds = ", ".join(f"{t} to {state['destinations'][t]}" for t in REQUIRED)
        return passed(f"firewall {state['name']} logs {kinds}")
    return failed(f"firewall {state['name']} does not log {' or '.join(missing)} traffic")


CONTROL = Control(
    id="networkfirewall_logging_enabled",
    title="Network Firewall firewalls log flows and alerts",
    description="A Network Firewall firewall sends its FLOW and ALERT logs to S3, CloudWatch Logs or Firehose.",
    severity=Severity.MEDIUM,
    resource_type="AwsNetworkFirewallFirewall",
    related_requirements=(SEC04_BP01, "Security Hub NetworkFirewall.2"),
    collect=collect,
    evaluate=evaluate,
    resource_id=firewall_arn,
    remediation_text=(
        "Add FLOW and ALERT log destinations to the firewall's logging configuration "
        "(UpdateLoggingConfiguration, one destination per call) to a destination of your choice."
    ),
    config_triggers=(ConfigTrigger("AWS::NetworkFirewall::Firewall", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(EVENT_SOURCE, ("CreateFirewall",), "responseElements.firewall.firewallArn"),
        # The only call that turns a firewall's logging off: the tamper rule's.
        CloudTrailTrigger(
            EVENT_SOURCE,
            ("UpdateLoggingConfiguration",),
            "requestParameters.firewallArn || requestParameters.firewallName",
        ),
    ),
    read_actions=("network-firewall:ListFirewalls", "network-firewall:DescribeLoggingConfiguration"),
    default_mode=Mode.OFF,
    fix_description="none: the destinations of flow and alert logs are for a person to choose.",
)
