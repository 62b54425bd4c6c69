"""The baseline's settings: parsed from the environment, and refused clearly when wrong."""

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
