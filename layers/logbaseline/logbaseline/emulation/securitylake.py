"""Amazon Security Lake's data lakes and AWS log sources, for the emulator: moto 5.2.5 implements no Security Lake
operation.

CreateDataLake, UpdateDataLake, DeleteDataLake, ListDataLakes, CreateAwsLogSource, DeleteAwsLogSource and
ListLogSources, shaped by botocore's `securitylake` model (rest-json): one data lake per account and region, named
`arn:<partition>:securitylake:<region>:<account>:data-lake/default`; a data lake that exists already is a
ConflictException, one that does not a ResourceNotFoundException (404), as is a log source added or listed in a
region without a data lake; a source name outside AwsLogSourceName's enum, or an expiration not after every
transition, a BadRequestException. A source added without accounts is added for the caller's account (an
organization's other accounts are not modelled). Answers are the JSON bodies boto3 parses.
"""

from __future__ import annotations

import threading
from typing import Any

from logbaseline.aws import partition

SOURCE_NAMES = (
    "ROUTE53",
    "VPC_FLOW",
    "SH_FINDINGS",
    "CLOUD_TRAIL_MGMT",
    "LAMBDA_EXECUTION",
    "S3_DATA",
    "EKS_AUDIT",
    "WAF",
)
LATEST_VERSION = "2.0"  # what "latest" resolves to for every AWS source today (Security Lake user guide)
OPERATIONS = {
    ("POST", "/v1/datalake"): "CreateDataLake",
    ("PUT", "/v1/datalake"): "UpdateDataLake",
    ("POST", "/v1/datalake/delete"): "DeleteDataLake",
    ("GET", "/v1/datalakes"): "ListDataLakes",
    ("POST", "/v1/datalake/logsources/aws"): "CreateAwsLogSource",
    ("POST", "/v1/datalake/logsources/aws/delete"): "DeleteAwsLogSource",
    ("POST", "/v1/datalake/logsources/list"): "ListLogSources",
}
STATUS = {"BadRequestException": 400, "AccessDeniedException": 403, "ResourceNotFoundException": 404}
STATUS["ConflictException"] = 409


class SecurityLakeError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message, self.status = code, message, STATUS[code]


def _not_found(region: str) -> SecurityLakeError:
    return SecurityLakeError("ResourceNotFoundException", f"Security Lake is not enabled in {region}: no data lake.")


class DataLakes:
    """Every account's data lakes (by region) and the AWS log sources each collects."""

    def __init__(self) -> None:
        self._lakes: dict[tuple[str, str], dict[str, Any]] = {}  # (account, region) -> DataLakeResource
        self._sources: dict[tuple[str, str], dict[tuple[str, str], str]] = {}  # (lake) -> (account, name) -> version
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._lakes.clear()
            self._sources.clear()

    def answer(self, account: str, region: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if operation in ("CreateDataLake", "UpdateDataLake"):
                return {"dataLakes": [self._configure(account, c, operation) for c in request["configurations"]]}
            if operation == "DeleteDataLake":
                for lake_region in request["regions"]:
                    self._lake(account, lake_region)
                    del self._lakes[(account, lake_region)], self._sources[(account, lake_region)]
                return {}
            if operation == "ListDataLakes":
                wanted = request.get("regions") or [r for a, r in self._lakes if a == account]
                return {"dataLakes": [dict(self._lakes[(account, r)]) for r in wanted if (account, r) in self._lakes]}
            if operation == "ListLogSources":
                return self._list(account, region, request)
            return self._change_sources(account, operation, request["sources"])

    def _lake(self, account: str, region: str) -> dict[str, Any]:
        if (account, region) not in self._lakes:
            raise _not_found(region)
        return self._lakes[(account, region)]

    def _configure(self, account: str, configuration: dict[str, Any], operation: str) -> dict[str, Any]:
        region = configuration["region"]
        lifecycle = configuration.get("lifecycleConfiguration") or {}
        expiration = (lifecycle.get("expiration") or {}).get("days")
        if expiration and any(t.get("days", 0) >= expiration for t in lifecycle.get("transitions") or []):
            raise SecurityLakeError("BadRequestException", "The expiration must come after every transition.")
        if operation == "CreateDataLake":
            if (account, region) in self._lakes:
                raise SecurityLakeError("ConflictException", f"A data lake already exists in {region}.")
            arn = f"arn:{partition(region)}:securitylake:{region}:{account}:data-lake/default"
            self._lakes[(account, region)] = {
                "dataLakeArn": arn,
                "region": region,
                "createStatus": "COMPLETED",
                "s3BucketArn": f"arn:{partition(region)}:s3:::aws-security-data-lake-{region}-{account[-6:]}x",
                "encryptionConfiguration": {"kmsKeyId": "S3_MANAGED_KEY"},
                "lifecycleConfiguration": {},
                "updateStatus": {"status": "COMPLETED"},
            }
            self._sources[(account, region)] = {}
        lake = self._lake(account, region)
        for key in ("lifecycleConfiguration", "encryptionConfiguration", "replicationConfiguration"):
            if key in configuration:
                lake[key] = configuration[key]
        return dict(lake)

    def _change_sources(self, account: str, operation: str, sources: list[dict[str, Any]]) -> dict[str, Any]:
        for source in sources:
            name = source["sourceName"]
            if name not in SOURCE_NAMES:
                raise SecurityLakeError("BadRequestException", f"{name} is not an AWS log source.")
            version = source.get("sourceVersion", "latest").replace("latest", LATEST_VERSION)
            for region in source["regions"]:
                collected = self._sources.get((account, region))
                if collected is None:
                    raise _not_found(region)
                for member in source.get("accounts") or [account]:
                    if operation == "CreateAwsLogSource":
                        collected[(member, name)] = version
                    else:
                        collected.pop((member, name), None)
        return {"failed": []}

    def _list(self, account: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
        regions = request.get("regions") or [region]
        accounts, rows = set(request.get("accounts") or []), []
        names = {s["awsLogSource"]["sourceName"] for s in request.get("sources") or [] if "awsLogSource" in s}
        for lake_region in regions:
            self._lake(account, lake_region)
            by_account: dict[str, list[dict[str, Any]]] = {}
            for (member, name), version in sorted(self._sources[(account, lake_region)].items()):
                if (not accounts or member in accounts) and (not names or name in names):
                    entry = {"awsLogSource": {"sourceName": name, "sourceVersion": version}}
                    by_account.setdefault(member, []).append(entry)
            rows += [{"account": a, "region": lake_region, "sources": s} for a, s in by_account.items()]
        token = str(request.get("nextToken") or "0")
        if not token.isdigit():
            raise SecurityLakeError("BadRequestException", "The next token is not valid.")
        start = int(token)
        size = int(request.get("maxResults") or 100)
        page = {"sources": rows[start : start + size]}
        if start + size < len(rows):
            page["nextToken"] = str(start + size)
        return page
