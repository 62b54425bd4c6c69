"""An AWS Glue Spark job sends its driver and executor logs to CloudWatch Logs as it runs (continuous logging)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

CONTINUOUS_LOG = "--enable-continuous-cloudwatch-log"
LOG_GROUP = "--continuous-log-logGroup"
DEFAULT_LOG_GROUP = "/aws-glue/jobs/logs-v2"  # Glue developer guide, "Enabling continuous logging"
SPARK = ("glueetl", "gluestreaming")  # Python shell and Ray jobs have no continuous logging to judge


def job_arn(scope: Scope) -> str:
    wanted = scope.resource_id or ""
    if wanted.startswith("arn:"):
        return wanted
    return f"arn:{partition(scope.region)}:glue:{scope.region}:{scope.account_id}:job/{wanted}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    glue = clients("glue")
    if scope.resource_id:
        try:
            jobs = [glue.get_job(JobName=job_arn(scope).split(":job/", 1)[-1])["Job"]]
        except glue.exceptions.EntityNotFoundException:
            return []  # deleted since the event
    else:
        jobs = [j for page in glue.get_paginator("get_jobs").paginate() for j in page["Jobs"]]
    resources = []
    for job in jobs:
        if (job.get("Command") or {}).get("Name") not in SPARK:
            continue
        defaults, fixed = job.get("DefaultArguments") or {}, job.get("NonOverridableArguments") or {}
        arguments = defaults | fixed  # a non-overridable argument is the one every run gets
        state = {
            "name": job["Name"],
            "continuous_log": str(arguments.get(CONTINUOUS_LOG, "")).strip().lower(),
            "overridable": CONTINUOUS_LOG not in fixed,
            "log_group": arguments.get(LOG_GROUP) or DEFAULT_LOG_GROUP,
        }
        arn = job_arn(Scope(scope.account_id, scope.region, job["Name"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"Glue job {state['name']}"
    if state["continuous_log"] == "true":
        note = "; a run may still turn it off with its own arguments" if state["overridable"] else ""
        return passed(f"{label} logs continuously to {state['log_group']}{note}")
    setting = f"{CONTINUOUS_LOG} is {state['continuous_log']}" if state["continuous_log"] else f"{CONTINUOUS_LOG} unset"
    return failed(f"{label} has no continuous logging ({setting}): its driver and executor logs are not streamed")


CONTROL = Control(
    id="glue_job_logging_enabled",
    title="AWS Glue Spark jobs log continuously to CloudWatch Logs",
    description=(
        f"A Glue ETL or streaming job sets {CONTINUOUS_LOG} to true in its default or non-overridable arguments, as "
        "AWS Config's glue-job-logging-enabled asks. Python shell and Ray jobs are not judged."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no Glue job type
    related_requirements=(SEC04_BP01,),  # the parity table names its AWS Config rule
    collect=collect,
    evaluate=evaluate,
    resource_id=job_arn,
    remediation_text=(
        f"Set {CONTINUOUS_LOG} to true in the job's arguments (UpdateJob DefaultArguments, or NonOverridableArguments "
        f"so that no run turns it off), optionally with {LOG_GROUP}; the job's role needs the CloudWatch Logs "
        "permissions. logs_log_group_retention_bounded then judges the log group's retention."
    ),
    config_triggers=(ConfigTrigger("AWS::Glue::Job", "ARN || resourceName"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "glue.amazonaws.com",
            ("CreateJob", "UpdateJob"),
            "requestParameters.jobName || requestParameters.name || responseElements.name",
        ),
    ),
    read_actions=("glue:GetJobs", "glue:GetJob"),
    default_mode=Mode.OFF,
    fix_description=(
        "none: UpdateJob replaces the whole job definition (its script, role and connections), and IAM has no key "
        "that limits it to the logging arguments."
    ),
)
