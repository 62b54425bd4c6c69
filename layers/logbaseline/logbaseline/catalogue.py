"""docs/controls.md from the controls' metadata, and docs/parameters.md from template.yaml (`logbaseline docs`;
a test fails when either is stale)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tabulate import tabulate

from logbaseline.controls import all_controls
from logbaseline.controls._benchmarks import BENCHMARK, RECOMMENDATIONS, requirement
from logbaseline.controls._parity import ANCHORS
from logbaseline.controls.base import Control
from logbaseline.engine.settings import MODES_VARIABLE, variable

HEADER = """# Controls

Generated from the controls' metadata by `logbaseline docs`; do not edit by hand.
Each control holds one part of AWS Well-Architected SEC04-BP01 "Configure service and
application logging". Modes: `off` (never fix), `dry-run` (record what the fix would
change, in the finding and the log), `auto` (fix, then verify by re-reading).
"""


def _code(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "none"


def _section(control: Control) -> str:
    lines = [
        f"## {control.id}",
        "",
        f"**{control.title}.** {control.description}",
        "",
        f"- Severity: {control.severity.value}; resource type: `{control.resource_type}`",
        f"- Related: {', '.join(control.related_requirements)}",
        f"- Fix: {control.fix_description} Default mode: `{control.default_mode.value}`.",
        f"- Triggers: AWS Config {_code([t.resource_type for t in control.config_triggers])}; "
        f"CloudTrail {_code([n for t in control.cloudtrail_triggers for n in t.event_names])}; the drift sweep",
        f"- IAM, evaluator: {_code(control.read_actions)}",
        f"- IAM, remediator: {_code(control.write_actions)}",
    ]
    if control.parameters:
        rows = [[f"`{p.name}`", f"`{variable(p.name)}`", f"`{p.default}`", p.description] for p in control.parameters]
        lines += ["", tabulate(rows, headers=("parameter", "environment", "default", "meaning"), tablefmt="github")]
    return "\n".join(lines)


def _benchmarks(controls: list[Control]) -> str:
    """The CIS recommendations the controls hold, by version: from controls/_benchmarks.py and its sources."""
    rows = []
    for (version, number), (title, security_hub) in sorted(RECOMMENDATIONS.items(), key=lambda kv: kv[0]):
        cited = [c.id for c in controls if requirement(version, number) in c.related_requirements]
        rows.append([f"{BENCHMARK} {version}", number, title, security_hub, ", ".join(f"`{c}`" for c in cited)])
    table = tabulate(
        rows,
        headers=("benchmark", "recommendation", "title", "Security Hub control", "control"),
        tablefmt="github",
        disable_numparse=True,
    )
    intro = (
        "Each control names the recommendations it holds with the benchmark's version, as Security Hub "
        "does (the numbers moved between v1.4.0 and v3.0.0). Sources: the benchmarks' section 3, and the "
        '"Related requirements" of each Security Hub control in the Security Hub user guide.'
    )
    return f"## CIS AWS Foundations Benchmark\n\n{intro}\n\n{table}"


def _parity(controls: list[Control]) -> str:
    """Security Hub's and AWS Config's logging checks, each with the control that holds it (controls/_parity.py)."""
    rows = [
        [
            a.security_hub or "(none)",
            ", ".join(f"`{r}`" for r in a.config_rules) or "(none)",
            a.checks,
            ", ".join(f"`{c}`" for c in a.controls) or a.reason,
        ]
        for a in ANCHORS
    ]
    table = tabulate(
        rows,
        headers=("Security Hub control", "AWS Config managed rule", "what it checks", "logbaseline"),
        tablefmt="github",
        disable_numparse=True,
    )
    anchored = {c for a in ANCHORS for c in a.controls}
    beyond = ", ".join(f"`{c.id}`" for c in controls if c.id not in anchored)
    intro = (
        "Every logging control of Security Hub (the FSBP and CIS AWS Foundations v3.0 standards, and the logging "
        "controls of its other standards) and every logging-related AWS Config managed rule, with the logbaseline "
        "control that holds it: where one does, the Security Hub control and the Config rule duplicate it and can "
        'be disabled. "not yet": no control holds it today. Sources: the Security Hub controls reference '
        "(https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-controls-reference.html) and the "
        "list of AWS Config managed rules "
        "(https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html)."
    )
    return f"## Security Hub and AWS Config parity\n\n{intro}\n\n{table}\n\nNo anchor checks what {beyond} hold."


def render() -> str:
    controls = all_controls()
    summary = [
        [f"[`{c.id}`](#{c.id})", c.severity.value, c.default_mode.value, "yes" if c.remediate else "no"]
        for c in controls
    ]
    table = tabulate(summary, headers=("control", "severity", "default mode", "fix"), tablefmt="github")
    return (
        "\n\n".join([HEADER, table, *(_section(c) for c in controls), _benchmarks(controls), _parity(controls)]) + "\n"
    )


# --- docs/parameters.md, generated from template.yaml -----------------------------------------------------

PARAMETERS_HEADER = """# Parameters

Generated from `template.yaml` by `logbaseline docs`; do not edit by hand. Set them in
`samconfig.toml` (`parameter_overrides`) or when `sam deploy --guided` asks; see
[deployment.md](deployment.md). "Reaches" names the environment variable the functions read
(see [controls.md](controls.md) for what each control does with it) or the resource that uses the
parameter.
"""

# (title, what the group is for, parameter names). Every *RemediationMode parameter goes to MODES_GROUP;
# a parameter that no group names is listed under "Other parameters", so none is ever left out.
PARAMETER_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Baseline",
        "What the controls hold the account to.",
        (
            "Controls",
            "RetentionFloorDays",
            "RetentionCeilingDays",
            "FlowLogTrafficType",
            "AccessLoggingScope",
            "TrailBucketObjectLock",
        ),
    ),
    (
        "Destinations",
        "Where the fixes send logs, and the keys they set. Empty destination: the fix that needs it does nothing.",
        (
            "FlowLogDestination",
            "QueryLogConfigId",
            "QueryLogDestinationArn",
            "ElbAccessLogBucket",
            "ElbAccessLogPrefix",
            "AccessLogBucket",
            "AccessLogPrefix",
            "CloudTrailKmsKeyArn",
            "LogGroupKmsKeyArn",
            "SecurityAlarmTopicArn",
        ),
    ),
    ("Remediation modes", "One per control with a fix: `off` (never fix), `dry-run` (record only), `auto`.", ()),
    (
        "Accounts",
        "Which accounts the stack covers, where fixes may run, and what is exempt: see "
        "[organization.md](organization.md) "
        "and [exemptions.md](exemptions.md).",
        (
            "Accounts",
            "OrganizationId",
            "LogArchiveAccountId",
            "RemediationAccountsAllow",
            "RemediationAccountsDeny",
            "ExemptionRegisterBucket",
            "SecurityHubAdministratorAccountId",
            "SecurityLakeAccountId",
        ),
    ),
    (
        "Schedule, regions and concurrency",
        "The drift sweep, and how many functions work at once.",
        ("SweepSchedule", "SweepRegions", "EvaluatorConcurrency", "RemediatorConcurrency", "ReserveConcurrency"),
    ),
    (
        "Audit trail and limits",
        "The history table and the fix limit.",
        ("HistoryRetentionDays", "FixLimit", "FixLimitWindowHours"),
    ),
    ("Alarms and the functions' logs", "", ("AlarmEmail", "LogLevel")),
    ("Code signing", "Lambda code signing, an option (docs/deployment.md).", ("CodeSigningProfileVersionArn",)),
    (
        "Investigation queries",
        "Saved Logs Insights and Athena queries over CloudTrail's events; empty, none is saved.",
        (
            "InvestigationLogGroupName",
            "InvestigationAthenaDatabase",
            "InvestigationAthenaTable",
            "InvestigationAthenaWorkGroup",
        ),
    ),
)
MODES_GROUP = "Remediation modes"
# For the parameters that template.yaml gives no Description and that feed no control parameter.
PARAMETER_NOTES = {
    "FixLimitWindowHours": "The window, in hours, in which FixLimit counts a resource's applied fixes.",
    "LogLevel": "Log level of the evaluator, remediator and sweeper (POWERTOOLS_LOG_LEVEL).",
}


def _mentions(value: Any, name: str) -> bool:
    """Whether a template value refers to the parameter (`!Ref Name`, or `${Name}` in a `!Sub`)."""
    if isinstance(value, dict):
        if value.get("Ref") == name:
            return True
        sub = value.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) else sub
        if isinstance(text, str) and f"${{{name}}}" in text:
            return True
        return any(_mentions(v, name) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, name) for v in value)
    return False


def _reaches(template: Mapping[str, Any], name: str) -> list[str]:
    """The environment variables that carry the parameter, then the other resources that use it."""
    places: dict[str, None] = {}
    functions = [template.get("Globals", {}).get("Function", {})] + [
        r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    ]
    for function in functions:
        for variable_name, value in function.get("Environment", {}).get("Variables", {}).items():
            if _mentions(value, name):
                places[f"`{variable_name}`"] = None
    for logical_id, resource in template["Resources"].items():
        properties = {k: v for k, v in resource.get("Properties", {}).items() if k != "Environment"}
        if _mentions(properties, name):
            places[f"`{logical_id}`"] = None
    return list(places)


def _mode_controls(template: Mapping[str, Any]) -> dict[str, str]:
    """Mode parameter -> the control it sets, read from LOGBASELINE_REMEDIATION_MODES."""
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    modes = variables.get(MODES_VARIABLE)
    sub = modes.get("Fn::Sub", "") if isinstance(modes, Mapping) else ""
    text = sub[0] if isinstance(sub, list) else sub
    pairs = (item.strip().partition("=") for item in str(text).split(","))
    return {reference.strip().removeprefix("${").removesuffix("}"): key for key, _, reference in pairs if key}


def _control_descriptions() -> dict[str, str]:
    """LOGBASELINE_<PARAMETER> -> the control parameter's description."""
    return {variable(p.name): p.description for c in all_controls() for p in c.parameters}


def _allowed(parameter: Mapping[str, Any]) -> str:
    if "AllowedValues" in parameter:
        return ", ".join(f"`{v}`" for v in parameter["AllowedValues"])
    bounds = [f"at least {parameter['MinValue']}"] if "MinValue" in parameter else []
    bounds += [f"at most {parameter['MaxValue']}"] if "MaxValue" in parameter else []
    return "; ".join(bounds) or "any"


def _description(name: str, parameter: Mapping[str, Any], reaches: list[str], from_controls: dict[str, str]) -> str:
    text = " ".join(str(parameter.get("Description", "")).split())
    if not text:
        text = next((from_controls[p.strip("`")] for p in reaches if p.strip("`") in from_controls), "")
    return text or PARAMETER_NOTES.get(name, "")


def render_parameters(template: Mapping[str, Any]) -> str:
    """docs/parameters.md: every parameter of the template (as read by sam_template.load), grouped."""
    parameters: Mapping[str, Mapping[str, Any]] = template.get("Parameters", {})
    modes, from_controls = _mode_controls(template), _control_descriptions()
    named = {n for _, _, names in PARAMETER_GROUPS for n in names}
    groups = [
        (title, intro, [n for n in parameters if n.endswith("RemediationMode")] if title == MODES_GROUP else names)
        for title, intro, names in PARAMETER_GROUPS
    ]
    other = [n for n in parameters if n not in named and not n.endswith("RemediationMode")]
    groups.append(("Other parameters", "Not yet given a group in `logbaseline.catalogue`.", other))
    sections = [PARAMETERS_HEADER.rstrip()]
    for title, intro, names in groups:
        names = [n for n in names if n in parameters]
        if not names:
            continue
        rows = []
        for name in names:
            parameter = parameters[name]
            reaches = _reaches(template, name)
            if name in modes:
                reaches = [f"`{MODES_VARIABLE}` (`{modes[name]}`)"]
            default = str(parameter.get("Default", ""))
            rows.append(
                [
                    f"`{name}`",
                    parameter.get("Type", ""),
                    f"`{default}`" if default else "(empty)",
                    _allowed(parameter),
                    _description(name, parameter, reaches, from_controls),
                    ", ".join(reaches) or "none",
                ]
            )
        table = tabulate(
            rows,
            headers=("parameter", "type", "default", "allowed", "meaning", "reaches"),
            tablefmt="github",
            disable_numparse=True,
        )
        sections.append("\n\n".join(filter(None, [f"## {title}", intro, table])))
    return "\n\n".join(sections) + "\n"
