"""securitylake_sources_enabled: the pure verdict, no fix, and round trips on the emulator's Security Lake (moto has
none: emulation/securitylake.py answers as botocore's model and the API reference say)."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError
from logbaseline.aws import Clients
from logbaseline.controls.base import Parameter
from logbaseline.controls.securitylake_sources_enabled import CONTROL, SECURITY_LAKE_ACCOUNT
from logbaseline.engine.evaluation import evaluate_scope
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

ME, MEMBER, OTHER = "123456789012", "111122223333", "444455556666"
ALL = ["CLOUD_TRAIL_MGMT", "ROUTE53", "VPC_FLOW"]
ROLE = "arn:aws:iam::123456789012:role/AmazonSecurityLakeMetaStoreManagerV2"
PARAMS = {"security_lake_account_id": ME, "accounts": "", "retention_floor_days": 365, "retention_ceiling_days": 2557}


def lake(sources=None, days=400, status="COMPLETED", exists=True, account=ME) -> Resource:
    state = {"account": account, "lake": None, "sources": {ME: ALL} if sources is None else sources}
    if exists:
        state["lake"] = {"status": status, "expiration_days": days}
    return Resource(account, REGION, f"arn:aws:securitylake:{REGION}:{account}:data-lake/default", state)


@pytest.mark.parametrize(
    ("resource", "params", "status", "phrase"),
    [
        (lake(), {"security_lake_account_id": ""}, Status.NOT_APPLICABLE, "Security Lake is not used"),
        (lake(account=MEMBER), {}, Status.NOT_APPLICABLE, f"judged in its account {ME}"),
        (lake(), {}, Status.PASSED, "keeps them 400 days"),
        (lake(exists=False), {}, Status.FAILED, f"no data lake in {REGION}"),
        (lake(status="FAILED"), {}, Status.FAILED, "creation is FAILED, not COMPLETED"),
        (lake(sources={}), {}, Status.FAILED, f"account {ME} does not send CloudTrail management events, VPC flow"),
        (lake(sources={ME: ["CLOUD_TRAIL_MGMT", "VPC_FLOW"]}), {}, Status.FAILED, "Route 53 Resolver query logs"),
        # every account the lake knows must send all three
        (lake(sources={ME: ALL, MEMBER: ["CLOUD_TRAIL_MGMT"]}), {}, Status.FAILED, f"account {MEMBER} does not send"),
        (lake(sources={ME: ALL, MEMBER: ALL}), {}, Status.PASSED, "collects"),
        # listed covered accounts must be there even when the lake has never heard of them
        (lake(), {"accounts": f"{ME}, {OTHER}"}, Status.FAILED, f"account {OTHER} does not send"),
        (lake(sources={ME: ALL, OTHER: ALL}), {"accounts": f"{ME},{OTHER}"}, Status.PASSED, "collects"),
        (lake(), {"accounts": "organization"}, Status.PASSED, "collects"),
        (lake(days=None), {}, Status.FAILED, "never expires its data, beyond the ceiling of 2557"),
        (lake(days=30), {}, Status.FAILED, "after 30 days, below the floor of 365"),
        (lake(days=3653), {}, Status.FAILED, "after 3653 days, above the ceiling of 2557"),
        (lake(days=365), {}, Status.PASSED, "365 days"),
        (lake(days=2557), {}, Status.PASSED, "2557 days"),
        (
            lake(sources={}, days=30),
            {},
            Status.FAILED,
            "does not send CloudTrail management events, VPC flow logs, Route",
        ),
    ],
)
def test_evaluate(resource, params, status, phrase):
    verdict = CONTROL.evaluate(resource, PARAMS | params)
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_every_gap_is_named_at_once():
    reason = CONTROL.evaluate(lake(sources={}, days=30, status="PENDING"), PARAMS).reason
    assert reason.count("; ") == 2 and "PENDING" in reason and "below the floor" in reason


def test_no_fix_and_the_steps_in_the_finding():
    assert (CONTROL.remediate, CONTROL.write_actions, CONTROL.default_mode) == (None, (), Mode.OFF)
    for step in ("CreateAwsLogSource", "CreateDataLake", "UpdateDataLake", "CreateDataLakeOrganizationConfiguration"):
        assert step in CONTROL.remediation_text
    assert SECURITY_LAKE_ACCOUNT.default == "" and isinstance(SECURITY_LAKE_ACCOUNT, Parameter)


# --- round trips on the emulator ------------------------------------------------------------------------------------


def collect(account_id: str) -> Resource:
    [resource] = CONTROL.collect(Clients(REGION, config=NO_RETRY), Scope(account_id, REGION))
    return resource


def create_lake(aws, days: int | None = 400) -> None:
    configuration = {"region": REGION}
    if days:
        configuration["lifecycleConfiguration"] = {"expiration": {"days": days}}
    aws("securitylake").create_data_lake(configurations=[configuration], metaStoreManagerRoleArn=ROLE)


def add_sources(aws, *names: str, accounts=None) -> None:
    sources = [{"regions": [REGION], "sourceName": n, "sourceVersion": "2.0"} for n in names]
    for source in sources:
        if accounts:
            source["accounts"] = accounts
    aws("securitylake").create_aws_log_source(sources=sources)


def test_round_trip_a_lake_missing_a_source_fails_then_passes_with_no_fix(aws, account_id):
    create_lake(aws, days=400)
    add_sources(aws, "CLOUD_TRAIL_MGMT", "VPC_FLOW")
    environ = {SECURITY_LAKE_ACCOUNT.variable: account_id, "LOGBASELINE_REMEDIATION_MODES": f"{CONTROL.id}=auto"}
    service = make_service(account_id, **environ)
    report = service.evaluate_event(load_event("cloudtrail/securitylake-DeleteAwsLogSource.json"))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    arn = f"arn:aws:securitylake:{REGION}:{account_id}:data-lake/default"
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, False)
    assert "does not send Route 53 Resolver query logs" in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert (finding["Compliance"]["Status"], finding["Resources"][0]["Type"]) == ("FAILED", "Other")
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []

    add_sources(aws, "ROUTE53")
    report = service.evaluate_event(load_event("cloudtrail/securitylake-CreateAwsLogSource.json"))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert outcome.verdict.status is Status.PASSED
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"


def test_round_trip_reads_every_account_and_the_lifecycle(aws, account_id):
    create_lake(aws, days=None)
    add_sources(aws, *ALL)
    add_sources(aws, "CLOUD_TRAIL_MGMT", accounts=[MEMBER])
    resource = collect(account_id)
    assert resource.state == {
        "account": account_id,
        "lake": {"status": "COMPLETED", "expiration_days": None},
        "sources": {account_id: ALL, MEMBER: ["CLOUD_TRAIL_MGMT"]},
    }
    reason = CONTROL.evaluate(resource, PARAMS | {"security_lake_account_id": account_id}).reason
    assert f"account {MEMBER} does not send VPC flow logs" in reason and "never expires" in reason
    aws("securitylake").update_data_lake(
        configurations=[{"region": REGION, "lifecycleConfiguration": {"expiration": {"days": 30}}}]
    )
    assert collect(account_id).state["lake"]["expiration_days"] == 30


def test_round_trip_no_data_lake_and_a_deleted_one(aws, account_id):
    assert collect(account_id).state == {"account": account_id, "lake": None, "sources": {}}
    create_lake(aws)
    add_sources(aws, *ALL)
    assert collect(account_id).state["sources"] == {account_id: ALL}
    aws("securitylake").delete_data_lake(regions=[REGION])
    resource = collect(account_id)
    assert resource.state["lake"] is None
    assert "no data lake" in CONTROL.evaluate(resource, PARAMS | {"security_lake_account_id": account_id}).reason


# --- the emulator refuses what AWS refuses (docs/emulator-gaps.md) ---------------------------------------------------


def code(error: pytest.ExceptionInfo) -> tuple[str, int]:
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_emulator_security_lake_errors_are_awss(aws):
    lake_client = aws("securitylake")
    with pytest.raises(ClientError) as error:
        lake_client.list_log_sources(regions=[REGION])
    assert code(error) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as error:
        add_sources(aws, "VPC_FLOW")
    assert code(error) == ("ResourceNotFoundException", 404)
    create_lake(aws)
    with pytest.raises(ClientError) as error:
        create_lake(aws)
    assert code(error) == ("ConflictException", 409)
    with pytest.raises(ClientError) as error:
        lake_client.update_data_lake(
            configurations=[
                {
                    "region": REGION,
                    "lifecycleConfiguration": {
                        "expiration": {"days": 30},
                        "transitions": [{"days": 60, "storageClass": "GLACIER"}],
                    },
                }
            ]
        )
    assert code(error) == ("BadRequestException", 400)
    with pytest.raises(ParamValidationError):  # botocore's model refuses these before AWS sees them
        lake_client.create_aws_log_source(sources=[{"regions": [REGION], "sourceName": "VPC_FLOW", "accounts": ["1"]}])
    with pytest.raises(ParamValidationError):
        lake_client.update_data_lake(
            configurations=[{"region": REGION, "lifecycleConfiguration": {"expiration": {"days": 0}}}]
        )


def test_emulator_security_lake_pages_and_filters_log_sources(aws, account_id):
    create_lake(aws)
    accounts = [f"{n:012d}" for n in range(1, 6)]
    add_sources(aws, "ROUTE53", accounts=accounts)
    pages = list(aws("securitylake").get_paginator("list_log_sources").paginate(regions=[REGION], maxResults=2))
    assert [len(p["sources"]) for p in pages] == [2, 2, 1]
    assert [row["account"] for p in pages for row in p["sources"]] == accounts
    only = aws("securitylake").list_log_sources(regions=[REGION], accounts=[accounts[0]])["sources"]
    assert only == [
        {
            "account": accounts[0],
            "region": REGION,
            "sources": [{"awsLogSource": {"sourceName": "ROUTE53", "sourceVersion": "2.0"}}],
        }
    ]
    aws("securitylake").delete_aws_log_source(
        sources=[{"regions": [REGION], "sourceName": "ROUTE53", "accounts": accounts}]
    )
    assert aws("securitylake").list_log_sources(regions=[REGION])["sources"] == []


def test_emulator_security_lake_refuses_what_it_does_not_model(aws):
    """An operation the emulator does not answer fails plainly rather than being taken as done."""
    with pytest.raises(ClientError) as error:
        aws("securitylake").get_data_lake_organization_configuration()
    assert code(error) == ("NotImplemented", 501)
    with pytest.raises(ClientError) as error:
        aws("securitylake").update_data_lake(configurations=[{"region": REGION}])  # no lake here to update
    assert code(error) == ("ResourceNotFoundException", 404)


def test_emulator_security_lake_checks_on_its_side_too(aws):
    """What botocore would refuse, sent anyway (validation off), AWS's side refuses as well; "latest" is 2.0."""
    unchecked = Clients(REGION, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    create_lake(aws)
    with pytest.raises(ClientError) as error:
        unchecked("securitylake").create_aws_log_source(sources=[{"regions": [REGION], "sourceName": "DNS_LOGS"}])
    assert code(error) == ("BadRequestException", 400)
    aws("securitylake").create_aws_log_source(sources=[{"regions": [REGION], "sourceName": "WAF"}])
    [row] = aws("securitylake").list_log_sources(regions=[REGION])["sources"]
    assert row["sources"] == [{"awsLogSource": {"sourceName": "WAF", "sourceVersion": "2.0"}}]
    with pytest.raises(ClientError) as error:
        unchecked("securitylake").list_log_sources(regions=[REGION], nextToken="not-a-token")
    assert code(error) == ("BadRequestException", 400)


class ReadsNothing(Clients):
    def __call__(self, service: str, region: str | None = None):
        raise AssertionError(f"{service} was read where the control does not apply")


@pytest.mark.parametrize(
    ("lake_account", "phrase"), [("", "Security Lake is not used"), (MEMBER, f"judged in its account {MEMBER}")]
)
def test_nothing_is_read_outside_the_lake_account(lake_account, phrase):
    """AWS may refuse Security Lake's reads in an account that holds no lake: the control asks none there."""
    scope, params = Scope(ME, REGION), PARAMS | {"security_lake_account_id": lake_account}
    assert phrase in CONTROL.inapplicable(scope, params)
    settings = Settings.from_env({SECURITY_LAKE_ACCOUNT.variable: lake_account} if lake_account else {})
    assert evaluate_scope(CONTROL, scope, ReadsNothing(REGION), settings) == []
    assert evaluate_scope(CONTROL, Scope(ME, REGION, f"arn:aws:securitylake:{REGION}:{ME}:data-lake/default"),
                          ReadsNothing(REGION), settings) == []  # fmt: skip
    assert CONTROL.inapplicable(scope, PARAMS) == ""  # the lake's own account is read
