"""The baseline's settings: parsed from the environment, and refused clearly when wrong."""

from datetime import date, timedelta

import pytest
from logbaseline.controls import load
from logbaseline.engine.settings import InvalidSettings, Settings
from logbaseline.models import Mode

RETENTION = load("logs_log_group_retention_bounded")
FLOW_LOGS = load("vpc_flow_logs_enabled")


def test_defaults_come_from_the_controls():
    settings = Settings.from_env({})
    assert settings.params(RETENTION) == {"retention_floor_days": 365, "retention_ceiling_days": 2557}
    assert settings.mode(RETENTION) is Mode.AUTO
    assert settings.mode(FLOW_LOGS) is Mode.DRY_RUN


def test_environment_overrides_parameters_and_modes():
    settings = Settings.from_env(
        {
            "LOGBASELINE_RETENTION_FLOOR_DAYS": "731",
            "LOGBASELINE_FLOW_LOG_TRAFFIC_TYPE": "REJECT",
            # the template's folded !Sub leaves spaces and newlines between items
            "LOGBASELINE_REMEDIATION_MODES": "logs_log_group_retention_bounded=off,\n vpc_flow_logs_enabled=auto",
        }
    )
    assert settings.params(RETENTION)["retention_floor_days"] == 731
    assert settings.params(FLOW_LOGS)["flow_log_traffic_type"] == "REJECT"
    assert settings.mode(RETENTION) is Mode.OFF
    assert settings.mode(FLOW_LOGS) is Mode.AUTO


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"LOGBASELINE_RETENTION_FLOOR_DAYS": "100"}, "must be one of"),
        ({"LOGBASELINE_RETENTION_FLOOR_DAYS": "a year"}, "must be a whole number"),
        (
            {"LOGBASELINE_RETENTION_FLOOR_DAYS": "3653", "LOGBASELINE_RETENTION_CEILING_DAYS": "365"},
            "above the ceiling",
        ),
        ({"LOGBASELINE_FLOW_LOG_TRAFFIC_TYPE": "SOME"}, "must be one of"),
        ({"LOGBASELINE_REMEDIATION_MODES": "vpc_flow_logs_enabled=always"}, "not control_id=mode"),
        ({"LOGBASELINE_REMEDIATION_MODES": "vpc_flow_logs_enabled"}, "not control_id=mode"),
        ({"LOGBASELINE_REMEDIATION_MODES": "no_such_control=auto"}, "unknown control"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(environ, message):
    with pytest.raises((InvalidSettings, ValueError), match=message):
        Settings.from_env(environ)


def test_a_floor_equal_to_the_ceiling_is_a_valid_baseline():
    settings = Settings.from_env(
        {"LOGBASELINE_RETENTION_FLOOR_DAYS": "731", "LOGBASELINE_RETENTION_CEILING_DAYS": "731"}
    )
    assert settings.params(RETENTION) == {"retention_floor_days": 731, "retention_ceiling_days": 731}


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "12345678901a", "-12345678901"])
def test_an_account_list_takes_12_digit_ids_only(bad):
    with pytest.raises(InvalidSettings, match=f"LOGBASELINE_REMEDIATION_ACCOUNTS_DENY: {bad} is not a 12-digit"):
        Settings.from_env({"LOGBASELINE_REMEDIATION_ACCOUNTS_DENY": f"111122223333,{bad}"})
    listed = Settings.from_env({"LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW": " 111122223333 , 444455556666,"})
    assert listed.allow_accounts == {"111122223333", "444455556666"}


def test_the_allow_and_deny_lists_turn_fixes_off_in_the_accounts_they_leave_out_and_say_why():
    settings = Settings.from_env(
        {
            "LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW": "111122223333,444455556666",
            "LOGBASELINE_REMEDIATION_ACCOUNTS_DENY": "444455556666",
        }
    )
    assert settings.excluded("111122223333") == ""
    assert settings.excluded("444455556666") == "account 444455556666 is in the remediation deny list"
    assert settings.excluded("777788889999") == "account 777788889999 is not in the remediation allow list"
    assert [settings.mode(RETENTION, a) for a in ("111122223333", "444455556666", "777788889999")] == [
        Mode.AUTO,
        Mode.OFF,
        Mode.OFF,
    ]
    assert settings.mode(RETENTION) is Mode.AUTO, "no account named: the control's own mode"
    anyone = Settings.from_env({})
    assert anyone.excluded("777788889999") == "" and anyone.mode(RETENTION, "777788889999") is Mode.AUTO


def test_the_controls_list_chooses_the_controls_evaluated_and_refuses_unknown_ones():
    assert Settings.from_env({}).evaluates(RETENTION) and Settings.from_env({}).evaluates(FLOW_LOGS)
    chosen = Settings.from_env({"LOGBASELINE_CONTROLS": " vpc_flow_logs_enabled ,"})
    assert chosen.evaluates(FLOW_LOGS) and not chosen.evaluates(RETENTION)
    with pytest.raises(InvalidSettings, match="LOGBASELINE_CONTROLS: unknown control 'no_such_control'"):
        Settings.from_env({"LOGBASELINE_CONTROLS": "vpc_flow_logs_enabled,no_such_control"})


def test_settings_cannot_be_changed_once_validated():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings.from_env({}).controls = frozenset({"no_such_control"})  # type: ignore[misc]


def test_a_register_file_that_cannot_be_read_is_one_line_naming_the_variable(tmp_path):
    missing = tmp_path / "exemptions.yaml"
    with pytest.raises(InvalidSettings, match=f"^LOGBASELINE_EXEMPTIONS_FILE: .*No such file.*{missing.name}"):
        Settings.from_env({"LOGBASELINE_EXEMPTIONS_FILE": str(missing)})


ONE_ENTRY = """\
exemptions:
  - id: legal-hold
    accounts: ["111122223333"]
    regions: [us-east-1]
    controls: [{control}]
    resources: ["*"]
    reason: archive kept by legal hold LH-42
    approver: {approver}
    expires: {expires}
"""


@pytest.mark.parametrize(
    ("control", "approver", "message"),
    [
        ("no_such_control", "a", ":5: unknown control id 'no_such_control'"),
        (
            "no_such_control",
            "' '",
            ":5: unknown control id 'no_such_control' (and 1 more: logbaseline exemptions validate ",
        ),
    ],
)
def test_an_invalid_register_file_names_its_first_problem_and_how_many_more(tmp_path, control, approver, message):
    source = tmp_path / "exemptions.yaml"
    expires = date.today() + timedelta(days=30)
    source.write_text(ONE_ENTRY.format(control=control, approver=approver, expires=expires))
    with pytest.raises(InvalidSettings) as raised:
        Settings.from_env({"LOGBASELINE_EXEMPTIONS_FILE": str(source)})
    text = str(raised.value)
    assert text.startswith(f"LOGBASELINE_EXEMPTIONS_FILE: {source}{message}")
    assert ("more:" in text) is ("more" in message)
