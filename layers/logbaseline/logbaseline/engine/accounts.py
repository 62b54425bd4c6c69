"""Which accounts a deployment covers, and clients for each: its own account directly, the members
of its organization through the member role that the member stack creates (stacksets/member.yaml).

Member credentials come from botocore's own assume-role machinery: fetched on first use and refreshed before
they expire (botocore refreshes 15 minutes ahead). An account session (reads and findings) is cached per account
and carries a session policy that allows no write; a fix session is assumed per fix request, with the fix's own
session policy, session name and source identity (engine/sessions.py), and cached for that request only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import ClientError

from logbaseline.aws import CLIENT_CONFIG, CLIENT_CREATION, Clients, partition
from logbaseline.engine.sessions import FixSession, account_policy

ORGANIZATION = "organization"  # sweep (and accept events from) every active account of the organization
SESSION_NAME = "logbaseline"
# AssumeRole errors that a retry cannot cure: the role is missing or does not trust this deployment,
# or STS is turned off in the region.
PERMANENT_ASSUME_ERRORS = frozenset({"AccessDenied", "RegionDisabledException"})
FIX_SESSIONS_KEPT = 32  # fix sessions of recent requests (a retried message reuses its own)


class UnknownAccount(LookupError):
    """An event from an account this deployment does not cover."""


class AccountUnreachable(RuntimeError):
    """The member role of an account could not be assumed; retrying will not help until a person acts."""

    def __init__(self, account_id: str, role_arn: str, reason: str):
        super().__init__(f"cannot assume {role_arn} in account {account_id}: {reason}")
        self.account_id = account_id
        self.role_arn = role_arn
        self.reason = reason


@dataclass(frozen=True)
class Coverage:
    """The accounts a deployment covers: its own, a list, or its whole organization."""

    home_account: str
    accounts: frozenset[str] = frozenset()  # empty: the home account only (unless organization)
    organization: bool = False

    @classmethod
    def parse(cls, home_account: str, raw: str) -> Coverage:
        raw = raw.strip()
        if raw.lower() == ORGANIZATION:
            return cls(home_account, organization=True)
        accounts = frozenset(part.strip() for part in raw.split(",") if part.strip())
        bad = sorted(a for a in accounts if not (a.isdigit() and len(a) == 12))
        if bad:
            raise ValueError(f"LOGBASELINE_ACCOUNTS: {', '.join(bad)} is not a 12-digit account id or 'organization'")
        return cls(home_account, accounts)

    def covers(self, account_id: str) -> bool:
        return self.organization or account_id == self.home_account or account_id in self.accounts

    def sweep_accounts(self, home: Clients) -> list[str]:
        """The accounts a sweep visits: the organization's active accounts (Organizations ListAccounts),
        or the configured list, or the home account."""
        if not self.organization:
            return sorted(self.accounts | {self.home_account})
        pages = home("organizations").get_paginator("list_accounts").paginate()
        return sorted(a["Id"] for page in pages for a in page["Accounts"] if a.get("State", a["Status"]) == "ACTIVE")


class MemberClients:
    """The clients factory of the engine: (account, region) -> Clients, for every covered account."""

    def __init__(
        self,
        coverage: Coverage,
        role_name: str = "",
        session: boto3.Session | None = None,
    ):
        self.coverage = coverage
        self.role_name = role_name
        self._session = session or boto3.Session()
        self._sessions: dict[str, boto3.Session] = {coverage.home_account: self._session}
        self._clients: dict[tuple[str, str], Clients] = {}
        self._fix_clients: OrderedDict[tuple[str, str, str], Clients] = OrderedDict()
        self._lock = threading.RLock()  # the controls of one evaluation run in threads

    def __call__(self, account_id: str, region: str) -> Clients:
        key = (account_id, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = Clients(region, self.session(account_id, region))
            return self._clients[key]

    def role_arn(self, account_id: str, region: str) -> str:
        return f"arn:{partition(region)}:iam::{account_id}:role/{self.role_name}"

    def session(self, account_id: str, region: str) -> boto3.Session:
        if account_id in self._sessions:
            return self._sessions[account_id]
        if not self.coverage.covers(account_id):
            raise UnknownAccount(
                f"account {account_id} is not covered by this deployment (account {self.coverage.home_account}); "
                "set LOGBASELINE_ACCOUNTS (the Accounts parameter) to cover it"
            )
        if not self.role_name:
            raise UnknownAccount(f"account {account_id} is covered but no member role name is configured")
        extra = {"RoleSessionName": SESSION_NAME, "Policy": account_policy()}
        self._sessions[account_id] = self._assume(account_id, region, extra)
        return self._sessions[account_id]

    def for_fix(self, account_id: str, region: str, fix: FixSession) -> Clients:
        """Clients of one fix request: in a member account, the member role narrowed by the fix's session policy,
        named by the request; in the home account, the function's own role (docs/security.md says why)."""
        if account_id == self.coverage.home_account:
            return self(account_id, region)
        self.session(account_id, region)  # an unknown or unreachable account fails here, as for a read
        key = (account_id, region, fix.name)
        with self._lock:
            if key not in self._fix_clients:
                self._fix_clients[key] = Clients(region, self._assume(account_id, region, fix.extra_args))
                while len(self._fix_clients) > FIX_SESSIONS_KEPT:
                    self._fix_clients.popitem(last=False)
            return self._fix_clients[key]

    def _assume(self, account_id: str, region: str, extra_args: dict[str, str]) -> boto3.Session:
        role_arn = self.role_arn(account_id, region)
        session = assumed_session(self._session, role_arn, region, extra_args)
        try:
            session.get_credentials().get_frozen_credentials()  # assume now, so that a missing role shows here
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in PERMANENT_ASSUME_ERRORS:
                raise AccountUnreachable(account_id, role_arn, f"{code}: {error}") from None
            raise
        return session


def _client(source: boto3.Session, service: str, region: str, keys: dict[str, Any]) -> Any:
    with CLIENT_CREATION:
        return source.client(service, region_name=region, config=CLIENT_CONFIG, **keys)


def assumed_session(
    source: boto3.Session, role_arn: str, region: str, extra_args: dict[str, str] | None = None
) -> boto3.Session:
    """A session whose credentials are the role's (narrowed by a session policy in `extra_args`), assumed lazily
    and refreshed before they expire."""
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=lambda service, **keys: _client(source, service, region, keys),
        source_credentials=source.get_credentials(),
        role_arn=role_arn,
        extra_args=extra_args or {"RoleSessionName": SESSION_NAME},
    )
    member = botocore.session.Session()
    # One loader for every account: service models are parsed once per container, not once per account.
    member.register_component("data_loader", source._session.get_component("data_loader"))
    # Refreshable credentials on a session: no public setter takes them (botocore's set_credentials does this)
    member._credentials = DeferredRefreshableCredentials(refresh_using=fetcher.fetch_credentials, method="assume-role")
    return boto3.Session(botocore_session=member)


class AccountClients(MemberClients):
    """Clients for one account only (the command line, the demo, a single-account deployment)."""

    def __init__(self, account_id: str, session: boto3.Session | None = None):
        super().__init__(Coverage(account_id), session=session)
