"""Verifying a trail's digest-file chain, as `aws cloudtrail validate-logs` does on demand.

The algorithm is CloudTrail's (User Guide: "CloudTrail digest file structure" and "Custom implementations of
CloudTrail log file integrity validation"): each hourly digest is gzipped JSON whose S3 object metadata holds its
hex signature (`signature`) and `signature-algorithm` (SHA256withRSA); the signed string is
    digestEndTime \\n digestS3Bucket/digestS3Object \\n hex SHA-256 of the uncompressed digest \\n
    previousDigestSignature ("null" for the first digest of a chain)
verified with the public key of the region whose fingerprint is `digestPublicKeyFingerprint` (ListPublicKeys:
DER-encoded PKCS#1). Each digest names the previous one (previousDigestS3Bucket/Object, previousDigestSignature), and
each log file's `hashValue` is the hex SHA-256 of its uncompressed content.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_der_public_key

ALGORITHM = "SHA256withRSA"
MISSING = ("NoSuchKey", "404", "NotFound")
READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Problem:
    file: str  # s3://bucket/key
    hour: str  # the digest's hour: digestStartTime to digestEndTime
    what: str

    def __str__(self) -> str:
        return f"{self.file} ({self.hour}): {self.what}"


@dataclass(frozen=True)
class Link:
    """A digest as the next one must name it."""

    file: str
    signature: str
    end: str  # digestEndTime


@dataclass
class Verification:
    problems: list[Problem] = field(default_factory=list)
    digests: int = 0
    log_files: int = 0
    intact_until: Link | None = None  # the newest digest up to which every link, signature and log file held


def digest_location(trail: Mapping[str, Any], account_id: str, region: str) -> tuple[str, str]:
    """(key prefix of the region's digests, the start of this trail's digest file names)."""
    prefix = f"{trail['S3KeyPrefix']}/" if trail.get("S3KeyPrefix") else ""
    name = f"{account_id}_CloudTrail-Digest_{region}_{trail['Name']}_{trail['HomeRegion']}_"
    return f"{prefix}AWSLogs/{account_id}/CloudTrail-Digest/{region}/", name


def key_at(prefix: str, name: str, moment: datetime) -> str:
    """The key a digest ending at `moment` has: StartAfter it lists only later digests."""
    return f"{prefix}{moment:%Y/%m/%d}/{name}{moment:%Y%m%dT%H%M%SZ}.json.gz"


def new_digest_keys(s3: Any, bucket: str, prefix: str, name: str, after: str, limit: int) -> list[str]:
    """This trail's digest keys after `after`, oldest first, at most `limit` (S3 lists keys in order)."""
    keys: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, StartAfter=after)
    for page in pages:
        for item in page.get("Contents", []):
            base = item["Key"].rsplit("/", 1)[-1]
            if base.startswith(name) and len(base) == len(name) + len("YYYYMMDDTHHMMSSZ.json.gz"):
                keys.append(item["Key"])
                if len(keys) == limit:
                    return keys
    return keys


def public_keys(cloudtrail: Any, start: datetime, end: datetime) -> dict[str, Any]:
    """The region's digest-signing public keys valid between start and end, by fingerprint."""
    keys: dict[str, Any] = {}
    for page in cloudtrail.get_paginator("list_public_keys").paginate(StartTime=start, EndTime=end):
        for key in page["PublicKeyList"]:
            keys[key["Fingerprint"]] = load_der_public_key(key["Value"])
    return keys


def string_to_sign(digest: Mapping[str, Any], inflated: bytes) -> bytes:
    previous = digest.get("previousDigestSignature") or "null"
    location = f"{digest['digestS3Bucket']}/{digest['digestS3Object']}"
    return f"{digest['digestEndTime']}\n{location}\n{hashlib.sha256(inflated).hexdigest()}\n{previous}".encode()


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in MISSING


def _signature_problem(digest: Mapping[str, Any], inflated: bytes, meta: Mapping[str, str], keys: Mapping[str, Any]):
    signature, algorithm = meta.get("signature"), meta.get("signature-algorithm")
    if not signature or not algorithm:
        return "unsigned: the digest object has no signature metadata"
    if algorithm != ALGORITHM:
        return f"signed with {algorithm}, not {ALGORITHM}"
    key = keys.get(digest.get("digestPublicKeyFingerprint", ""))
    if key is None:
        return f"signed with a key CloudTrail does not list (fingerprint {digest.get('digestPublicKeyFingerprint')})"
    try:
        key.verify(bytes.fromhex(signature), string_to_sign(digest, inflated), PKCS1v15(), SHA256())
    except (InvalidSignature, ValueError):
        return "signature does not verify: the digest was altered or signed with another key"
    return ""


def _log_problem(s3: Any, log: Mapping[str, Any]) -> str:
    try:
        body = s3.get_object(Bucket=log["s3Bucket"], Key=log["s3Object"])["Body"]
    except ClientError as error:
        if _missing(error):
            return "log file missing: deleted after CloudTrail delivered it"
        raise
    inflater, digest = zlib.decompressobj(zlib.MAX_WBITS | 16), hashlib.sha256()
    try:
        for chunk in iter(lambda: body.read(READ_CHUNK), b""):
            digest.update(inflater.decompress(chunk))
        digest.update(inflater.flush())
    except zlib.error:
        return "log file altered: it is no longer gzip"
    if digest.hexdigest() != log.get("hashValue"):
        return "log file altered: its SHA-256 differs from the digest's"
    return ""


def verify(s3: Any, bucket: str, keys: list[str], keyring: Mapping[str, Any], previous: Link | None) -> Verification:
    """Verify the digests at `keys` (oldest first) and their log files, continuing the chain from `previous`."""
    result = Verification(intact_until=previous)
    intact = True
    for key in keys:
        file, hour = f"s3://{bucket}/{key}", f"hour ending {key[-24:-8]}"
        found: list[Problem] = []
        try:
            obj = s3.get_object(Bucket=bucket, Key=key)
            inflated = gzip.decompress(obj["Body"].read())
            digest = json.loads(inflated)
            hour = f"{digest['digestStartTime']} to {digest['digestEndTime']}"
            located = digest["digestS3Bucket"] == bucket and digest["digestS3Object"] == key
        except ClientError as error:
            if not _missing(error):
                raise
            found.append(Problem(file, hour, "digest missing: deleted while being verified"))
        except (OSError, EOFError, ValueError, KeyError, TypeError):
            found.append(Problem(file, hour, "digest unreadable: not the gzipped JSON CloudTrail writes"))
        if found:
            result.problems += found
            intact = False
            continue
        meta = obj.get("Metadata", {})
        signed = _signature_problem(digest, inflated, meta, keyring) if located else "moved from where it was written"
        if signed:
            found.append(Problem(file, hour, signed))
        named = digest.get("previousDigestS3Object")
        if previous is not None and named:
            named_file = f"s3://{digest.get('previousDigestS3Bucket')}/{named}"
            if named_file != previous.file:
                gone = f"previous digest missing: the chain names it, but the last found is {previous.file}"
                found.append(Problem(named_file, f"hour ending {named[-24:-8]}", gone))
            elif digest.get("previousDigestSignature") != previous.signature:
                found.append(Problem(file, hour, "chain broken: previousDigestSignature is not the previous digest's"))
        if not signed:  # a digest that does not verify vouches for no log file
            for log in digest.get("logFiles") or []:
                result.log_files += 1
                what = _log_problem(s3, log)
                if what:
                    found.append(Problem(f"s3://{log.get('s3Bucket')}/{log.get('s3Object')}", hour, what))
        result.digests += 1
        result.problems += found
        previous = Link(file, meta.get("signature", ""), digest["digestEndTime"])
        intact = intact and not found
        if intact:
            result.intact_until = previous
    return result
