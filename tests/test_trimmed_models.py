"""The trimmed service models: what `make service-models` writes, cut from botocore's own, and what clients use."""

from __future__ import annotations

import boto3
import pytest
from botocore import xform_name
from botocore.loaders import Loader
from logbaseline import aws as aws_module
from logbaseline import trimmed_models
from logbaseline.aws import Clients

from tests.conftest import REGION

COMMITTED = trimmed_models.read()


def _full(service: str, version: str) -> dict:
    """botocore's service-2 file, before its SDK extras are merged in."""
    return trimmed_models.source_model(Loader(), service, version)[0]


def test_the_committed_models_are_what_the_code_names_now():
    assert COMMITTED == trimmed_models.service_models(), "stale trimmed service models: run `make service-models`"


def test_each_is_botocores_latest_model_of_the_service_cut_down():
    loader = Loader()
    assert {"logs", "ec2", "s3", "cloudtrail", "securityhub", "connect", "sqs"} <= {p.split("/")[0] for p in COMMITTED}
    for path, model in COMMITTED.items():
        service, version, _ = path.split("/")
        assert version == loader.determine_latest_version(service, "service-2"), path
        full = _full(service, version)
        assert {k: v for k, v in full.items() if k not in ("operations", "shapes", "documentation")} == {
            k: v for k, v in model.items() if k not in ("operations", "shapes")
        }, path
        full = {key: trimmed_models.undocumented(full[key]) for key in ("operations", "shapes")}
        assert model["operations"] and set(model["operations"]) < set(full["operations"]), path
        assert all(full["operations"][name] == op for name, op in model["operations"].items()), path
        assert all(full["shapes"][name] == shape for name, shape in model["shapes"].items()), path


def test_the_shapes_botocores_extras_merge_into_are_kept_whole():
    model, merged = trimmed_models.source_model(Loader(), "s3", "2006-03-01")
    assert merged == {"Expires"}
    cut = trimmed_models.trimmed(model, {"get_bucket_logging"}, merged)
    assert cut["shapes"]["Expires"] == trimmed_models.undocumented(model["shapes"]["Expires"])


def test_a_trimmed_model_keeps_the_named_operations_the_shapes_they_reach_and_the_errors():
    model = _full("logs", "2014-03-28")
    cut = trimmed_models.trimmed(model, {"describe_log_groups", "not_an_operation"})
    assert list(cut["operations"]) == ["DescribeLogGroups"]
    assert {"DescribeLogGroupsRequest", "DescribeLogGroupsResponse", "LogGroups", "LogGroup"} <= set(cut["shapes"])
    assert "PutRetentionPolicyRequest" not in cut["shapes"]
    errors = {name for name, shape in model["shapes"].items() if shape.get("exception")}
    assert errors and errors <= set(cut["shapes"])  # client.exceptions.X for every error of the service
    assert "documentation" not in str([cut["operations"], cut["shapes"]])


def test_operations_are_found_as_calls_paginators_and_names_passed_as_strings(tmp_path):
    (tmp_path / "code.py").write_text(
        'logs = clients("logs")\n'
        "logs.put_retention_policy(logGroupName='g', retentionInDays=365)\n"
        'pages = logs.get_paginator("describe_log_groups").paginate()\n'
        'read(clients, "get_bucket_policy", Bucket="b")\n'
        'session.client("sts").get_caller_identity()\n'
    )
    names, services = trimmed_models.names_in([tmp_path / "code.py"])
    assert services == {"logs", "sts"}
    assert {"put_retention_policy", "describe_log_groups", "get_bucket_policy", "get_caller_identity"} <= names
    cut = trimmed_models.trimmed(_full("logs", "2014-03-28"), names)
    assert set(cut["operations"]) == {"PutRetentionPolicy", "DescribeLogGroups"}


def test_code_in_hidden_directories_is_not_the_repositorys(tmp_path):
    """benchmarks/.venvs holds Cloud Custodian's own install: its calls must not keep operations in the models."""
    for relative in ("benchmarks/peers.py", "benchmarks/.venvs/custodian/c7n/tags.py", "tests/test_x.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    found = trimmed_models.python_files([tmp_path / "benchmarks", tmp_path / "tests"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["benchmarks/peers.py", "tests/test_x.py"]


def test_clients_are_made_from_the_trimmed_models(aws):
    clients = Clients(REGION, boto3.Session())
    for service in ("logs", "ec2", "connect"):
        client = clients(service)
        path = next(p for p in COMMITTED if p.startswith(f"{service}/"))
        assert sorted(client.meta.service_model.operation_names) == sorted(COMMITTED[path]["operations"])
    logs = clients("logs")
    assert logs.exceptions.ResourceNotFoundException  # every error of the service is kept
    logs.create_log_group(logGroupName="/trimmed")
    pages = logs.get_paginator("describe_log_groups").paginate()
    assert [g["logGroupName"] for page in pages for g in page["logGroups"]] == ["/trimmed"]


def _missing_operation(service: str) -> str:
    path = next(p for p in COMMITTED if p.startswith(f"{service}/"))
    full = _full(service, path.split("/")[1])
    return xform_name(next(name for name in full["operations"] if name not in COMMITTED[path]["operations"]))


def test_an_operation_not_trimmed_in_falls_back_to_the_full_model_and_says_so(aws, monkeypatch, caplog):
    monkeypatch.setattr(aws_module, "FULL_MODEL_FALLBACK", True)
    clients = Clients(REGION, boto3.Session())
    logs, name = clients("logs"), _missing_operation("logs")
    method = getattr(logs, name)
    full = method.__self__
    assert full is not logs and name in {xform_name(o) for o in full.meta.service_model.operation_names}
    assert method.__self__ is getattr(logs, name).__self__, "the full-model client is made once"
    assert f"logs.{name} is not in the trimmed service models" in caplog.text
    with pytest.raises(AttributeError):
        logs.not_an_operation  # noqa: B018


def test_the_tests_forbid_the_fallback(aws):
    assert aws_module.FULL_MODEL_FALLBACK is False
    with pytest.raises(AttributeError):
        getattr(Clients(REGION, boto3.Session())("logs"), _missing_operation("logs"))
