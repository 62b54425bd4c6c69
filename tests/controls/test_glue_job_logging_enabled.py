"""glue_job_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.glue_job_logging_enabled import CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = "arn:aws:glue:us-east-1:123456789012:job/orders-etl"  # the samples' job
ROLE = "arn:aws:iam::123456789012:role/orders-etl"
SCRIPT = "s3://orders-etl-scripts-123456789012/orders_etl.py"
ON = {"--enable-continuous-cloudwatch-log": "true"}


def state(value="true", overridable=True, group="/aws-glue/jobs/logs-v2"):
    return {"name": "orders-etl", "continuous_log": value, "overridable": overridable, "log_group": group}


@pytest.mark.parametrize(
    ("given", "status", "phrase"),
    [
        (state(), Status.PASSED, "logs continuously to /aws-glue/jobs/logs-v2; a run may still turn it off"),
        (state(overridable=False, group="/etl/orders"), Status.PASSED, "logs continuously to /etl/orders"),
        (state(""), Status.FAILED, "no continuous logging (--enable-continuous-cloudwatch-log unset)"),
        (state("false"), Status.FAILED, "(--enable-continuous-cloudwatch-log is false)"),
        (state("yes"), Status.FAILED, "is yes"),  # Glue reads only "true"
    ],
)
def test_evaluate(given, status, phrase):
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, given), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason
    if status is Status.PASSED and not given["overridable"]:
        assert "a run may" not in verdict.reason


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and not CONTROL.write_actions


# --- round trips on the moto server -------------------------------------------------------


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def job(aws, name="orders-etl", kind="glueetl", **arguments):
    command = {"Name": kind, "ScriptLocation": SCRIPT, "PythonVersion": "3"}
    aws("glue").create_job(Name=name, Role=ROLE, Command=command, GlueVersion="4.0", **arguments)


def test_round_trip_created_without_continuous_logging_then_with_it(aws, account_id):
    """CreateJob -> FAILED, no fix; the job defined again with continuous logging -> PASSED (Config item).

    moto has no UpdateJob (docs/emulator-gaps.md): the job is deleted and created again with the new arguments."""
    job(aws, DefaultArguments={"--job-language": "python"})
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/glue-CreateJob.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["Compliance"]["Status"] == "FAILED"

    aws("glue").delete_job(JobName="orders-etl")
    job(aws, DefaultArguments=ON | {"--continuous-log-logGroup": "/etl/orders"})
    report = service.evaluate_event(load_event("config/AWS-Glue-Job.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.PASSED)]
    assert "/etl/orders" in mine(report)[0].verdict.reason
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["Compliance"]["Status"] == "PASSED"


def test_collect_spark_jobs_only_with_non_overridable_arguments_winning(aws, account_id):
    job(aws)  # no arguments
    job(aws, "billing-etl", DefaultArguments=ON)
    job(aws, "locked-etl", DefaultArguments=ON, NonOverridableArguments={"--enable-continuous-cloudwatch-log": "false"})
    job(aws, "clicks-stream", "gluestreaming", NonOverridableArguments=ON)
    job(aws, "cleanup", "pythonshell")  # not judged
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {
        "orders-etl": Status.FAILED,
        "billing-etl": Status.PASSED,
        "locked-etl": Status.FAILED,
        "clicks-stream": Status.PASSED,
    }
    assert [r.resource_id for r in CONTROL.collect(aws, Scope(account_id, REGION, "orders-etl"))] == [ARN]
    assert CONTROL.collect(aws, Scope(account_id, REGION, "cleanup")) == []


def test_a_deleted_job_is_archived(aws, account_id):
    job(aws)
    service = make_service(account_id)
    service.evaluate_event(load_event("cloudtrail/glue-CreateJob.json"))
    aws("glue").delete_job(JobName="orders-etl")
    report = service.evaluate_event(load_event("cloudtrail/glue-UpdateJob.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, ARN)]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
