"""Test doubles that follow AWS's documented behaviour where moto does not (docs/emulator-gaps.md)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from logbaseline.aws import Clients, partition
from logbaseline.emulation.asff import finding_shape
from logbaseline.emulation.securityhub import FindingsStore, SecurityHubError

REQUIRED = tuple(finding_shape().required_members)


class SecurityHubDouble:
    """A Security Hub client for one account and region, without HTTP: the emulator's own finding operations
    (logbaseline/emulation/securityhub.py), which validate, keep and filter findings as AWS documents, with errors
    raised as botocore raises them. It notes each call, for tests that count them."""

    def __init__(self, account_id: str, region: str):
        self.store = FindingsStore(account_id, region, partition(region))
        self.stored = self.store.findings
        self.calls: list[list[dict[str, Any]]] = []  # the findings of each import
        self.updates: list[dict[str, Any]] = []
        self.lookups: list[dict[str, Any]] = []  # the filters of each GetFindings

    def _answer(self, operation: str, call: Any) -> Any:
        try:
            return call()
        except SecurityHubError as error:
            response = {"Error": {"Code": error.code, "Message": error.message}, "ResponseMetadata": {}}
            response["ResponseMetadata"]["HTTPStatusCode"] = error.status
            raise ClientError(response, operation) from None  # type: ignore[arg-type]

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls.append(Findings)
        return self._answer("BatchImportFindings", lambda: self.store.batch_import_findings(Findings))

    def batch_update_findings(self, **request: Any) -> dict[str, Any]:
        self.updates.append(request)
        return self._answer("BatchUpdateFindings", lambda: self.store.batch_update_findings(request))

    def get_findings(self, **request: Any) -> dict[str, Any]:
        self.lookups.append(request.get("Filters", {}))
        return self._answer("GetFindings", lambda: self.store.get_findings(request))


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


# STS's limits on AssumeRole (botocore's sts model; botocore checks neither the maximum lengths nor the patterns).
STS_NAME = re.compile(r"[\w+=,.@-]{2,64}")
MAX_SESSION_POLICY_CHARS = 2048
ORGANIZATION_ID = "o-a1b2c3d4e5"


def _refusal(code: str, message: str, status: int) -> ClientError:
    error = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(error, "AssumeRole")  # type: ignore[arg-type]


class MemberRoles:
    """AssumeRole of the member roles as AWS answers it, where moto grants anything: AccessDenied when the role does
    not exist in the member account, or when a SourceIdentity is set that the role's trust policy
    (stacksets/member.yaml) does not allow the calling function to set; ValidationError for a session name, source
    identity or session policy beyond STS's limits (moto ignores session policies: docs/emulator-gaps.md). Notes
    which function assumed which role, and each call's parameters."""

    def __init__(self) -> None:
        self.assumed: list[tuple[str, str]] = []  # (function, role ARN)
        self.requests: list[tuple[str, dict[str, Any]]] = []  # (function, AssumeRole's parameters)

    @classmethod
    def install(cls, monkeypatch: pytest.MonkeyPatch) -> MemberRoles:
        double, original = cls(), BaseClient._make_api_call

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if operation == "AssumeRole" and params["RoleArn"].rsplit("/", 1)[-1] in MEMBER_ROLES:
                double.refuse_missing(params["RoleArn"])
                double.refuse_beyond_limits(params)
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

    def refuse_beyond_limits(self, params: dict[str, Any]) -> None:
        from tests.conftest import current_role

        self.requests.append((current_role.get(), params))
        for name in ("RoleSessionName", "SourceIdentity"):
            if name in params and not STS_NAME.fullmatch(params[name]):
                raise _refusal("ValidationError", f"{name} must be 2 to 64 of [\\w+=,.@-]: {params[name]!r}", 400)
        if "Policy" in params:
            if len(params["Policy"]) > MAX_SESSION_POLICY_CHARS:
                message = f"Policy: Member must have length less than or equal to {MAX_SESSION_POLICY_CHARS}"
                raise _refusal("ValidationError", message, 400)
            if not isinstance(json.loads(params["Policy"]).get("Statement"), list):
                raise _refusal("MalformedPolicyDocument", "the session policy has no Statement list", 400)
        if "SourceIdentity" in params and not self.may_set_source_identity(params["RoleArn"], params["SourceIdentity"]):
            message = f"not authorized to perform: sts:SetSourceIdentity on resource: {params['RoleArn']}"
            raise _refusal("AccessDenied", message, 403)

    @staticmethod
    def may_set_source_identity(role_arn: str, source_identity: str) -> bool:
        """The member stack's trust policy of the role, evaluated for the calling function's own role."""
        from logbaseline import sam_template

        from tests.cfn import Resolver
        from tests.conftest import ROOT, current_role
        from tests.iam_policy import Request, allowed

        member = sam_template.load(ROOT / "stacksets/member.yaml")
        role_name = role_arn.rsplit("/", 1)[-1]
        [role] = [r for r in member["Resources"].values() if r["Properties"].get("RoleName") == role_name]
        security = "123456789012"  # moto's account: the security account of the tests
        parameters = {"SecurityAccountId": security, "OrganizationId": ORGANIZATION_ID, "SecurityRegion": "us-east-1"}
        trust = Resolver(member, parameters, role_arn.split(":")[4]).value(
            role["Properties"]["AssumeRolePolicyDocument"]
        )
        principal = f"arn:aws:iam::{security}:role/logbaseline/logbaseline-{current_role.get()}"
        context = {"aws:PrincipalArn": principal, "aws:PrincipalOrgID": ORGANIZATION_ID,
                   "sts:SourceIdentity": source_identity}  # fmt: skip
        request = Request("sts:SetSourceIdentity", role_arn, context, principal=principal)
        return allowed(request, [], resource_policy=trust)

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
