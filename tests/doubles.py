"""Test doubles that follow AWS's documented behaviour where moto does not (docs/emulator-gaps.md)."""

from __future__ import annotations

import json
from typing import Any

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

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if not 1 <= len(Findings) <= 100:
            raise self.InvalidInputException("Findings must contain between 1 and 100 items")
        self.calls.append(Findings)
        failed = []
        for finding in Findings:
            error = self._error(finding)
            if error:
                failed.append({"Id": finding.get("Id"), "ErrorCode": error[0], "ErrorMessage": error[1]})
            else:
                self.stored[finding["Id"]] = finding
        return {"FailedCount": len(failed), "SuccessCount": len(Findings) - len(failed), "FailedFindings": failed}

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
