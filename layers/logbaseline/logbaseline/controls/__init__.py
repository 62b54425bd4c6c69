"""The control registry: one line per control, imported only when used."""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from logbaseline.controls.base import Control

REGISTRY: dict[str, str] = {
    "logs_log_group_retention_bounded": "logbaseline.controls.logs_log_group_retention_bounded",
    "vpc_flow_logs_enabled": "logbaseline.controls.vpc_flow_logs_enabled",
    "cloudtrail_multi_region_logging": "logbaseline.controls.cloudtrail_multi_region_logging",
    "cloudtrail_log_file_validation_enabled": "logbaseline.controls.cloudtrail_log_file_validation_enabled",
}


class UnknownControl(KeyError):
    pass


@cache
def load(control_id: str) -> Control:
    try:
        module = REGISTRY[control_id]
    except KeyError:
        raise UnknownControl(f"unknown control {control_id!r}; known: {', '.join(REGISTRY)}") from None
    return importlib.import_module(module).CONTROL


def all_controls() -> list[Control]:
    return [load(control_id) for control_id in REGISTRY]
