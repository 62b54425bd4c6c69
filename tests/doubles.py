"""Test doubles that follow AWS's documented behaviour where moto does not (docs/emulator-gaps.md)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from logbaseline.aws import Clients

REQUIRED = (
    "AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn",
    "Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt",
)  # fmt: skip


class SecurityHubDouble:
    """BatchImportFindings as the Security Hub API reference describes it.

    - at most 100 findings per call (InvalidInputException otherwise);
    - each finding has the required attributes and is at most 240 KB;
    - with the default product ARN, the finding's AwsAccountId must be the caller's
      account and the ARN's region the client's region; otherwise the finding fails.
    """

    class InvalidInputException(Exception):
        pass

    def __init__(self, account_id: str, region: str):
        self.account_id, self.region = account_id, region
        self.calls: list[list[dict[str, Any]]] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []
        self.lookups: list[list[str]] = []

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if not 1 <= len(Findings) <= 100:
            raise self.InvalidInputException("Findings must contain between 1 and 100 items")
        self.calls.append(Findings)
        failed = []
        for finding in Findings:
            error = self._error(finding)
            if error:
                failed.append({"Id": finding.get("Id"), "ErrorCode": error[0], "ErrorMessage": error[1]})
            elif finding["Id"] in self.stored:
                # Import cannot change Workflow or Note once the finding exists.
                kept = {
                    k: self.stored[finding["Id"]][k] for k in ("Workflow", "Note") if k in self.stored[finding["Id"]]
                }
                self.stored[finding["Id"]] = {**finding, **kept}
            else:
                self.stored[finding["Id"]] = {"Workflow": {"Status": "NEW"}, **finding}
        return {"FailedCount": len(failed), "SuccessCount": len(Findings) - len(failed), "FailedFindings": failed}

    def batch_update_findings(self, FindingIdentifiers, Workflow=None, Note=None):  # noqa: N803
        """BatchUpdateFindings: up to 100 identifiers; Workflow.Status one of the four; Note text up to 512."""
        if not 1 <= len(FindingIdentifiers) <= 100:
            raise self.InvalidInputException("FindingIdentifiers must contain between 1 and 100 items")
        if Workflow and Workflow.get("Status") not in ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"):
            raise self.InvalidInputException(f"invalid workflow status {Workflow}")
        if Note and not (0 < len(Note["Text"]) <= 512 and 0 < len(Note["UpdatedBy"]) <= 128):
            raise self.InvalidInputException("Note.Text is 1-512 characters, Note.UpdatedBy 1-128")
        self.updates.append({"FindingIdentifiers": FindingIdentifiers, "Workflow": Workflow, "Note": Note})
        processed, unprocessed = [], []
        for identifier in FindingIdentifiers:
            finding = self.stored.get(identifier["Id"])
            if finding is None or finding["ProductArn"] != identifier["ProductArn"]:
                unprocessed.append({"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound"})
                continue
            if Workflow:
                finding["Workflow"] = dict(Workflow)
            if Note:
                finding["Note"] = dict(Note)
            processed.append(identifier)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    def get_paginator(self, operation: str) -> Any:
        assert operation == "get_findings"
        hub = self

        class Paginator:
            def paginate(self, Filters):  # noqa: N803
                """Only the Id EQUALS filter, as AWS applies it (at most 20 values per filter)."""
                values = [v["Value"] for v in Filters["Id"] if v["Comparison"] == "EQUALS"]
                assert len(values) <= 20, "AWS accepts at most 20 values per filter"
                hub.lookups.append(values)
                yield {"Findings": [f for i, f in hub.stored.items() if i in values]}

        return Paginator()

    def _error(self, finding: dict[str, Any]) -> tuple[str, str] | None:
        missing = [k for k in REQUIRED if k not in finding]
        if missing:
            return "InvalidInput", f"missing {', '.join(missing)}"
        if len(json.dumps(finding).encode()) > 240 * 1024:
            return "InvalidInput", "finding larger than 240 KB"
        expected = f"arn:aws:securityhub:{self.region}:{self.account_id}:product/{self.account_id}/default"
        if finding["ProductArn"] != expected or finding["AwsAccountId"] != self.account_id:
            return "AccessDeniedException", "the caller cannot import findings for another account or region"
        return None


class ClientsDouble:
    """Stands in for Clients: hands out one Security Hub double per (account, region)."""

    def __init__(self) -> None:
        self.hubs: dict[tuple[str, str], SecurityHubDouble] = {}

    def __call__(self, account_id: str, region: str) -> Any:
        hub = self.hubs.setdefault((account_id, region), SecurityHubDouble(account_id, region))
        return lambda service, region=None: hub


# --- member accounts ----------------------------------------------------------------------------

READ_ROLE, FIX_ROLE = "logbaseline-member-read", "logbaseline-member-remediation"
MEMBER_ROLES = (READ_ROLE, FIX_ROLE)
ADMIN_ROLE = "OrganizationAccountAccessRole"  # how a person (and the tests) act inside a member account
_SHARED_LOADER = botocore.session.get_session().get_component("data_loader")


def member_clients(account_id: str, region: str) -> Clients:
    """Clients acting inside a member account, as a person with its admin role would."""
    from tests.conftest import NO_RETRY

    credentials = boto3.client("sts", config=NO_RETRY).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{ADMIN_ROLE}", RoleSessionName="seeding"
    )["Credentials"]
    botocore_session = botocore.session.Session()
    botocore_session.register_component("data_loader", _SHARED_LOADER)  # service models parsed once
    botocore_session.set_credentials(
        credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    session = boto3.Session(botocore_session=botocore_session)
    return Clients(region, session, NO_RETRY)


class MemberRoles:
    """AssumeRole of the member roles as AWS answers it: AccessDenied when the role does not exist in the
    member account (moto grants any role). Also notes which function assumed which role."""

    def __init__(self) -> None:
        self.assumed: list[tuple[str, str]] = []  # (function, role ARN)

    @classmethod
    def install(cls, monkeypatch: pytest.MonkeyPatch) -> MemberRoles:
        double, original = cls(), BaseClient._make_api_call

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation == "AssumeRole" and params["RoleArn"].rsplit("/", 1)[-1] in MEMBER_ROLES:
                double.refuse_missing(params["RoleArn"])
            return original(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
        return double

    def refuse_missing(self, role_arn: str) -> None:
        from tests.conftest import current_role

        self.assumed.append((current_role.get(), role_arn))
        token = current_role.set("")  # the double's own look-up is not the function's call
        try:
            account_id, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
            iam = member_clients(account_id, "us-east-1")("iam")
            try:
                iam.get_role(RoleName=name)
                return
            except iam.exceptions.NoSuchEntityException:
                pass
        finally:
            current_role.reset(token)
        message = (
            "User: arn:aws:sts::123456789012:assumed-role/logbaseline/function is not authorized to perform: "
            f"sts:AssumeRole on resource: {role_arn}"
        )
        error = {"Error": {"Code": "AccessDenied", "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403}}
        raise ClientError(error, "AssumeRole")  # type: ignore[arg-type]

    def deploy_member_stack(self, account_id: str) -> None:
        """The member stack's two roles (their trust and policies are tests/test_member_stack.py's business)."""
        iam = member_clients(account_id, "us-east-1")("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
        }
        for name in MEMBER_ROLES:
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))

    def assumed_by_function(self) -> dict[str, set[str]]:
        by_function: dict[str, set[str]] = defaultdict(set)
        for function, role_arn in self.assumed:
            by_function[function].add(role_arn)
        return by_function
