"""ssm_automation_logging_enabled: the pure verdict, the emulated service settings, and round trips.

moto implements no service setting; the emulator answers them as AWS does (emulation/ssm_settings.py,
docs/emulator-gaps.md), and a Stubber holds the control's reads to botocore's GetServiceSetting shape."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from logbaseline.controls.ssm_automation_logging_enabled import CONTROL, DESTINATION, GROUP_NAME
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ACCOUNT = "123456789012"


@pytest.mark.parametrize(
    ("destination", "group", "status", "phrase"),
    [
        ("CloudWatch", "/automation/scripts", Status.PASSED, "output to the log group /automation/scripts"),
        ("NONE", "/aws/ssm/automation/executeScript", Status.FAILED, f"({DESTINATION} is NONE)"),
        ("", "", Status.FAILED, "is unset"),
    ],
)
def test_evaluate(destination, group, status, phrase):
    state = {"destination": destination, "log_group": group}
    verdict = CONTROL.evaluate(Resource(ACCOUNT, REGION, f"AWS::::Account:{ACCOUNT}", state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub SSM.6" in CONTROL.related_requirements
    assert CONTROL.resource_id(Scope(ACCOUNT, REGION)) == f"AWS::::Account:{ACCOUNT}"


def test_collect_reads_both_settings_as_aws_answers():
    ssm = boto3.client("ssm", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ssm) as stub:
        for setting, value in ((DESTINATION, "CloudWatch"), (GROUP_NAME, "/automation/scripts")):
            arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:servicesetting{setting}"
            answer = {"SettingId": setting, "SettingValue": value, "ARN": arn, "Status": "Customized"}
            stub.add_response("get_service_setting", {"ServiceSetting": answer}, {"SettingId": setting})
        [resource] = CONTROL.collect(lambda service: ssm, Scope(ACCOUNT, REGION))
        stub.assert_no_pending_responses()
    assert resource.state == {"destination": "CloudWatch", "log_group": "/automation/scripts"}


# --- the emulator's settings, and round trips --------------------------------------------


def test_the_emulator_refuses_what_aws_refuses(aws, account_id):
    ssm = aws("ssm")
    with pytest.raises(ClientError) as unknown:
        ssm.get_service_setting(SettingId="/ssm/automation/no-such-setting")
    assert unknown.value.response["Error"]["Code"] == "ServiceSettingNotFound"
    with pytest.raises(ClientError) as invalid:
        ssm.update_service_setting(SettingId=DESTINATION, SettingValue="S3")
    assert invalid.value.response["Error"]["Code"] == "ValidationException"
    arn = f"arn:aws:ssm:{REGION}:{account_id}:servicesetting{DESTINATION}"
    ssm.update_service_setting(SettingId=arn, SettingValue="CloudWatch")
    setting = ssm.get_service_setting(SettingId=DESTINATION)["ServiceSetting"]
    assert (setting["SettingValue"], setting["Status"], setting["ARN"]) == ("CloudWatch", "Customized", arn)


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_default_then_logged_then_reset(aws, account_id):
    """The default -> FAILED, no fix; UpdateServiceSetting CloudWatch -> PASSED; ResetServiceSetting -> FAILED."""
    account = f"AWS::::Account:{account_id}"
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/ssm-ResetServiceSetting.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(account, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, account)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsAccount"

    ssm = aws("ssm")
    ssm.update_service_setting(SettingId=GROUP_NAME, SettingValue="/automation/scripts")
    ssm.update_service_setting(SettingId=DESTINATION, SettingValue="CloudWatch")
    report = service.evaluate_event(load_event("cloudtrail/ssm-UpdateServiceSetting.json"))
    assert [o.verdict.status for o in mine(report)] == [Status.PASSED]
    assert "/automation/scripts" in mine(report)[0].verdict.reason

    ssm.reset_service_setting(SettingId=DESTINATION)
    report = service.evaluate_event(load_event("cloudtrail/ssm-ResetServiceSetting.json"))
    assert [o.verdict.status for o in mine(report)] == [Status.FAILED]
