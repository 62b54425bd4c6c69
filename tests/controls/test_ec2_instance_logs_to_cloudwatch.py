"""ec2_instance_logs_to_cloudwatch: the pure verdict, the reads as botocore shapes them, the emulated managed nodes
and associations, and round trips.

moto implements no managed node and no State Manager association; the emulator answers them as AWS does
(emulation/ssm_associations.py, docs/emulator-gaps.md), and a Stubber holds the control's reads to botocore's shapes.
"""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from logbaseline import engine
from logbaseline.controls.ec2_instance_logs_to_cloudwatch import CONTROL, DOCUMENT
from logbaseline.engine import sweep_event
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ACCOUNT = "123456789012"
INSTANCE = "i-0123456789abcdef0"
ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{INSTANCE}"
CONFIG = "AmazonCloudWatch-linux"


def association(status="Success", action="configure", source="ssm", location=CONFIG, name="cw-agent"):
    return {"name": name, "action": action, "source": source, "location": location, "status": status, "detail": status}


@pytest.mark.parametrize(
    ("ping", "associations", "status", "phrase"),
    [
        ("Online", [association()], Status.PASSED, f"by cw-agent (configuration {CONFIG})"),
        ("Online", [association(action="configure (append)")], Status.PASSED, "configured from Parameter Store"),
        ("Online", [association(status="Failed"), association(name="b")], Status.PASSED, "by b "),
        ("Online", [association(status="Failed")], Status.FAILED, "did not succeed on it: cw-agent (Failed)"),
        ("Online", [association(status="Pending")], Status.FAILED, "cw-agent (Pending)"),
        ("Online", [association(source="default")], Status.FAILED, "source default"),
        ("Online", [association(action="stop")], Status.FAILED, "action stop"),
        ("Online", [association(location="")], Status.FAILED, "load no log configuration"),
        ("Online", [], Status.FAILED, f"no State Manager association of {DOCUMENT}"),
        ("ConnectionLost", [], Status.NOT_APPLICABLE, "is ConnectionLost"),
        ("Inactive", [association()], Status.NOT_APPLICABLE, "cannot be seen"),
    ],
)
def test_evaluate(ping, associations, status, phrase):
    state = {"ping": ping, "associations": associations}
    verdict = CONTROL.evaluate(Resource(ACCOUNT, REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason
    assert INSTANCE in verdict.reason and ARN not in verdict.reason  # named by its id, as the console does


def test_metadata():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and CONTROL.resource_type == "AwsEc2Instance"
    assert CONTROL.resource_id(Scope(ACCOUNT, REGION, INSTANCE)) == ARN
    assert CONTROL.resource_id(Scope(ACCOUNT, REGION, ARN)) == ARN


def client():
    return boto3.client("ssm", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


NODE_FILTER = [{"Key": "ResourceType", "Values": ["EC2Instance"]}]


def test_collect_reads_one_listing_then_the_associations_then_each_online_instance():
    ssm = client()
    online = {
        "InstanceId": INSTANCE,
        "PingStatus": "Online",
        "PlatformName": "Amazon Linux",
        "ResourceType": "EC2Instance",
    }
    lost = {"InstanceId": "i-0fedcba9876543210", "PingStatus": "ConnectionLost", "ResourceType": "EC2Instance"}
    described = {
        "Name": DOCUMENT,
        "AssociationId": "a1",
        "AssociationName": "cw-agent",
        "Parameters": {"action": ["configure"], "optionalConfigurationLocation": [CONFIG]},
    }
    info = {"AssociationId": "a1", "Name": DOCUMENT, "InstanceId": INSTANCE, "Status": "Success"}
    other = {"AssociationId": "patching", "Name": "AWS-RunPatchBaseline", "InstanceId": INSTANCE, "Status": "Failed"}
    with Stubber(ssm) as stub:
        stub.add_response(
            "describe_instance_information", {"InstanceInformationList": [online, lost]}, {"Filters": NODE_FILTER}
        )
        stub.add_response(
            "list_associations",
            {"Associations": [{"Name": DOCUMENT, "AssociationId": "a1"}]},
            {"AssociationFilterList": [{"key": "Name", "value": DOCUMENT}]},
        )
        stub.add_response("describe_association", {"AssociationDescription": described}, {"AssociationId": "a1"})
        stub.add_response(
            "describe_instance_associations_status",
            {"InstanceAssociationStatusInfos": [{**info, "DetailedStatus": "Success"}, other]},
            {"InstanceId": INSTANCE},
        )
        resources = CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION))
        stub.assert_no_pending_responses()  # and no status read for the instance that is not Online
    assert [r.resource_id for r in resources] == [ARN, f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{lost['InstanceId']}"]
    expected = [association(name="cw-agent", source="ssm")]
    assert resources[0].state == {"ping": "Online", "associations": expected}
    assert resources[1].state["associations"] == []


def test_collect_reads_nothing_more_where_no_instance_is_managed_or_no_association_exists():
    ssm = client()
    node = {"InstanceId": INSTANCE, "PingStatus": "Online", "ResourceType": "EC2Instance"}
    scoped = [*NODE_FILTER, {"Key": "InstanceIds", "Values": [INSTANCE]}]
    with Stubber(ssm) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": []}, {"Filters": NODE_FILTER})
        assert CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION)) == []
        stub.add_response("describe_instance_information", {"InstanceInformationList": [node]}, {"Filters": scoped})
        stub.add_response("list_associations", {"Associations": []})
        [resource] = CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION, ARN))
        # the instance stopped or terminated since: AWS answers an id it does not list with InvalidInstanceId
        stub.add_client_error("describe_instance_information", "InvalidInstanceId", expected_params={"Filters": scoped})
        assert CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION, ARN)) == []
        stub.add_client_error("describe_instance_information", "ThrottlingException")
        with pytest.raises(ClientError):  # anything else is a failed read, never "no instance"
            CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION))
        stub.assert_no_pending_responses()
    assert resource.state["associations"] == []


def test_an_association_deleted_between_the_listing_and_its_description_is_left_out():
    ssm = client()
    node = {"InstanceId": INSTANCE, "PingStatus": "Online", "ResourceType": "EC2Instance"}
    listed = [{"Name": DOCUMENT, "AssociationId": "gone"}, {"Name": DOCUMENT, "AssociationId": "kept"}]
    described = {"Name": DOCUMENT, "AssociationId": "kept", "Parameters": {"optionalConfigurationSource": ["default"]}}
    info = {"AssociationId": "kept", "Status": "Success", "DetailedStatus": "Success"}
    with Stubber(ssm) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": [node]})
        stub.add_response("list_associations", {"Associations": listed})
        stub.add_client_error(
            "describe_association", "AssociationDoesNotExist", expected_params={"AssociationId": "gone"}
        )
        stub.add_response("describe_association", {"AssociationDescription": described}, {"AssociationId": "kept"})
        stub.add_response("describe_instance_associations_status", {"InstanceAssociationStatusInfos": [info]})
        [resource] = CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION))
        stub.assert_no_pending_responses()
    [applied] = resource.state["associations"]
    assert (applied["name"], applied["source"], applied["location"]) == ("kept", "default", "")
    assert CONTROL.evaluate(resource, {}).status is Status.FAILED


# --- the emulator's managed nodes and associations, and round trips -------------------------


def managed_instance(aws, profile="ssm-managed", tags=None):
    """An EC2 instance with an instance profile: the emulator's managed node (the SSM Agent registers it)."""
    iam = aws("iam")
    try:
        iam.create_instance_profile(InstanceProfileName=profile)
    except ClientError:
        pass  # already made by an earlier call of this test
    ec2 = aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    extra = {"TagSpecifications": [{"ResourceType": "instance", "Tags": tags}]} if tags else {}
    [instance] = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, IamInstanceProfile={"Name": profile}, **extra
    )["Instances"]
    return instance["InstanceId"]


CONFIGURE = {"action": ["configure"], "optionalConfigurationSource": ["ssm"], "optionalConfigurationLocation": [CONFIG]}


def test_the_emulator_lists_managed_nodes_and_refuses_what_aws_refuses(aws):
    ssm, ec2 = aws("ssm"), aws("ec2")
    managed = managed_instance(aws)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)  # no profile: not managed
    nodes = ssm.describe_instance_information(Filters=NODE_FILTER)["InstanceInformationList"]
    assert [(n["InstanceId"], n["PingStatus"]) for n in nodes] == [(managed, "Online")]
    ec2.stop_instances(InstanceIds=[managed])  # AWS lists no stopped node, and refuses it by id
    assert ssm.describe_instance_information()["InstanceInformationList"] == []
    every, groups = [{"Key": "InstanceIds", "Values": ["*"]}], [{"Key": "resource-groups:Name", "Values": ["web"]}]
    nodes, unknown = ssm.describe_instance_information, "8dfe3659-4309-493a-8755-0123456789ab"
    create = ssm.create_association
    refusals = [
        ("InvalidInstanceId", nodes, {"Filters": [{"Key": "InstanceIds", "Values": [managed]}]}),
        ("InvalidFilterKey", nodes, {"Filters": [{"Key": "Color", "Values": ["x"]}]}),
        ("InvalidDocument", create, {"Name": "No-Such-Document", "InstanceId": managed}),
        ("InvalidParameters", create, {"Name": DOCUMENT, "Targets": every, "Parameters": {"mode": ["x"]}}),
        ("AssociationDoesNotExist", ssm.describe_association, {"AssociationId": unknown}),
        ("AssociationDoesNotExist", ssm.delete_association, {"AssociationId": unknown}),
        ("InvalidInstanceId", ssm.describe_instance_associations_status, {"InstanceId": "i-00000000000000000"}),
        ("InvalidNextToken", ssm.list_associations, {"NextToken": "not-a-token"}),
        # what AWS has and the emulator does not model is refused loudly, never ignored
        ("NotImplemented", nodes, {"Filters": [{"Key": "IamRole", "Values": ["x"]}]}),
        ("NotImplemented", ssm.list_associations, {"AssociationFilterList": [{"key": "InstanceId", "value": managed}]}),
        ("NotImplemented", create, {"Name": DOCUMENT, "Targets": groups}),
    ]  # fmt: skip
    for code, call, request in refusals:
        with pytest.raises(ClientError) as refused:
            call(**request)
        assert refused.value.response["Error"]["Code"] == code, (code, request)


def test_the_emulator_runs_an_association_on_its_tagged_targets(aws):
    ssm = aws("ssm")
    web = managed_instance(aws, tags=[{"Key": "Role", "Value": "web"}])
    other = managed_instance(aws)
    created = ssm.create_association(
        Name=DOCUMENT, Targets=[{"Key": "tag:Role", "Values": ["web"]}], Parameters=CONFIGURE
    )["AssociationDescription"]
    [info] = ssm.describe_instance_associations_status(InstanceId=web)["InstanceAssociationStatusInfos"]
    assert (info["AssociationId"], info["Status"]) == (created["AssociationId"], "Failed")  # no such parameter
    assert ssm.describe_instance_associations_status(InstanceId=other)["InstanceAssociationStatusInfos"] == []
    [listed] = ssm.list_associations(AssociationFilterList=[{"key": "Name", "value": DOCUMENT}])["Associations"]
    assert listed["AssociationId"] == created["AssociationId"] and "Parameters" not in listed
    assert (
        ssm.list_associations(AssociationFilterList=[{"key": "Name", "value": "AWS-RunShellScript"}])["Associations"]
        == []
    )


def mine(report):
    return sorted((o.resource_id, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id)


def test_round_trip_none_then_configured_then_the_default_then_deleted(aws, account_id):
    """No association -> FAILED, no fix; configure from a parameter -> PASSED; the default configuration (metrics
    only) -> FAILED; the association deleted -> FAILED."""
    ssm = aws("ssm")
    instance = managed_instance(aws)
    arn = f"arn:aws:ec2:{REGION}:{account_id}:instance/{instance}"
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/ssm-DeleteAssociation.json"))
    assert mine(report) == [(arn, Status.FAILED)] and report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsEc2Instance"

    ssm.put_parameter(Name=CONFIG, Type="String", Value='{"logs": {"logs_collected": {"files": {}}}}')
    created = ssm.create_association(
        Name=DOCUMENT,
        AssociationName="cw-agent",
        Targets=[{"Key": "InstanceIds", "Values": ["*"]}],
        Parameters=CONFIGURE,
    )["AssociationDescription"]
    report = service.evaluate_event(load_event("cloudtrail/ssm-CreateAssociation.json"))
    assert mine(report) == [(arn, Status.PASSED)]

    ssm.update_association(
        AssociationId=created["AssociationId"], Parameters={"optionalConfigurationSource": ["default"]}
    )
    report = service.evaluate_event(load_event("cloudtrail/ssm-UpdateAssociation.json"))
    assert mine(report) == [(arn, Status.FAILED)]
    assert "source default" in next(o for o in report.outcomes if o.control.id == CONTROL.id).verdict.reason

    ssm.delete_association(AssociationId=created["AssociationId"])
    report = service.evaluate_event(load_event("cloudtrail/ssm-DeleteAssociation.json"))
    assert mine(report) == [(arn, Status.FAILED)]
    assert f"No State Manager association of {DOCUMENT}" in findings_by_resource(aws)[(CONTROL.id, arn)]["Description"]


def test_a_stopped_instance_is_no_longer_judged_and_the_sweep_archives_its_finding(aws, account_id, monkeypatch):
    monkeypatch.setattr(engine, "ARCHIVE_GRACE", timedelta(0))  # the finding of a moment ago counts as old
    instance = managed_instance(aws)
    arn = f"arn:aws:ec2:{REGION}:{account_id}:instance/{instance}"
    service = make_service(account_id)
    assert mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))) == [(arn, Status.FAILED)]
    aws("ec2").stop_instances(InstanceIds=[instance])  # Systems Manager lists no stopped instance
    report = service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))
    assert mine(report) == [] and [o.resource_id for o in report.archived] == [arn]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
