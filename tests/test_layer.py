"""The Lambda layer carries only what Lambda runs, with dependencies locked by hash."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from logbaseline import sam_template, trimmed_models
from logbaseline.controls import REGISTRY

from tests.conftest import ROOT

LAYER = ROOT / "layers/logbaseline"
_spec = importlib.util.spec_from_file_location("build_layer", LAYER / "build_layer.py")
build_layer = importlib.util.module_from_spec(_spec)  # the layer's build script, beside the package
_spec.loader.exec_module(build_layer)

# What runs on a person's machine only: it must never reach Lambda.
NOT_RUNTIME = ("cli", "demo", "emulator", "emulation", "local", "report", "catalogue", "operations",
               "sam_template", "templates")  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("layer")
    build_layer.build(LAYER, target)
    return target


def test_the_layer_holds_the_engine_and_the_controls_and_none_of_the_tools(built):
    package = built / "logbaseline"
    names = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert {"__init__.py", "aws.py", "models.py", "engine/__init__.py", "controls/__init__.py"} <= names
    assert {f"controls/{module.rsplit('.', 1)[-1]}.py" for module in REGISTRY.values()} <= names
    for tool in NOT_RUNTIME:
        assert not any(n == f"{tool}.py" or n.startswith(f"{tool}/") for n in names), tool
    data = {n for n in names if not n.endswith(".py")}
    assert data and all(n.startswith("service_models/") and n.endswith("/service-2.json.gz") for n in data), (
        "no data files but the trimmed service models: templates and reports stay out"
    )
    assert data == {f"service_models/{path}" for path in trimmed_models.read()}


def trimmed_operations(service: str) -> list[str]:
    return sorted(next(m for path, m in trimmed_models.read().items() if path.startswith(f"{service}/"))["operations"])


@pytest.mark.parametrize("handler", ["evaluator", "remediator", "sweeper"])
def test_each_handler_and_every_control_load_from_the_layer_alone(built, handler):
    """A fresh interpreter without the repository's package: only the built layer and the dependencies."""
    code = f"""
import sys
sys.path[:0] = [{str(built)!r}, {str(ROOT / "functions" / handler)!r}]
sys.path.append({sysconfig.get_paths()["purelib"]!r})
import app, logbaseline
from logbaseline.controls import all_controls
assert logbaseline.__file__.startswith({str(built)!r}), logbaseline.__file__
assert len(all_controls()) == {len(REGISTRY)}
from logbaseline.aws import Clients
logs = Clients("eu-west-1")("logs")  # made from the layer's trimmed model
assert sorted(logs.meta.service_model.operation_names) == {trimmed_operations("logs")!r}, "not the trimmed model"
try:
    import logbaseline.cli
except ModuleNotFoundError:
    print("ok")
"""
    environment = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "POWERTOOLS_TRACE_DISABLED": "true",
                   "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok", "the command line is not in the layer"


def test_the_layer_is_built_from_the_hash_locked_requirements_only():
    template = sam_template.load(ROOT / "template.yaml")
    assert template["Resources"]["LogbaselineLayer"]["Metadata"]["BuildMethod"] == "makefile"
    makefile = (LAYER / "Makefile").read_text()
    install = makefile.split("build-LogbaselineLayer:", 1)[1]
    for flag in ("--require-hashes", "--no-deps", "--only-binary=:all:", "-r requirements.lock", "build_layer.py"):
        assert flag in install, flag
    lock = {}
    for line in (LAYER / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            match = re.fullmatch(r"([a-z0-9-]+)==(\S+) --hash=sha256:[0-9a-f]{64}", line)
            assert match, line
            lock[match[1]] = match[2]
    wanted = {}
    for line in (LAYER / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = re.sub(r"\[.*\]", "", line).split("==")
            wanted[name.lower().replace("_", "-")] = version
    assert {name: lock.get(name) for name in wanted} == wanted, "the lock pins what requirements.txt asks for"
    assert {"aws-xray-sdk", "wrapt", "s3transfer", "jmespath", "urllib3"} <= set(lock), "and its dependencies"
    tested = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        tested[name.lower().replace("_", "-")] = version
    for name, version in lock.items():
        if name in tested:
            assert tested[name] == version, f"the layer ships {name} {version}, the tests run {tested[name]}"
