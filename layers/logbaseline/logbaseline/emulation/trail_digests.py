"""CloudTrail's digest signing, for the emulator: moto implements neither ListPublicKeys nor digest delivery.

`SigningKeys` holds one RSA key pair per region (CloudTrail signs each region's digests with its own key) and
answers ListPublicKeys as AWS documents it (DER-encoded PKCS#1 public keys with their validity and fingerprint;
InvalidTimeRangeException when the range ends before it starts). `TrailDelivery` writes a trail's hourly log files
and digest files into its bucket in the documented shape (User Guide, "CloudTrail digest file structure"), each digest
signed as CloudTrail signs it, for the tests, the demo and the benchmark to verify or tamper with.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from logbaseline.controls._digests import ALGORITHM, string_to_sign

KEY_VALIDITY = timedelta(days=3650)
KEYS_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)


class ListPublicKeysError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def fingerprint_of(key: rsa.RSAPrivateKey) -> str:
    """A hex fingerprint of the public key (AWS does not say how it derives its own; the verifier only compares)."""
    return hashlib.md5(key.public_key().public_bytes(Encoding.DER, PublicFormat.PKCS1)).hexdigest()  # noqa: S324


class SigningKeys:
    """The region's digest-signing key pairs, made on first use and kept across emulator resets (as AWS's are)."""

    def __init__(self) -> None:
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self._lock = threading.Lock()

    def private_key(self, region: str) -> rsa.RSAPrivateKey:
        with self._lock:
            if region not in self._keys:
                self._keys[region] = new_private_key()
            return self._keys[region]

    def list_public_keys(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        """ListPublicKeys' JSON answer: StartTime and EndTime are epoch seconds, both now when not given."""
        now = datetime.now(UTC).timestamp()
        start, end = float(request.get("StartTime", now)), float(request.get("EndTime", now))
        if start > end:
            raise ListPublicKeysError("InvalidTimeRangeException", "Start time must be before end time.")
        if request.get("NextToken"):  # this emulation answers in one page, so it issues no token
            raise ListPublicKeysError("InvalidTokenException", "Invalid NextToken.")
        key = self.private_key(region)
        valid_from, valid_to = KEYS_VALID_FROM, KEYS_VALID_FROM + KEY_VALIDITY
        if end < valid_from.timestamp() or start > valid_to.timestamp():
            return {"PublicKeyList": []}
        der = key.public_key().public_bytes(Encoding.DER, PublicFormat.PKCS1)
        entry = {
            "Value": base64.b64encode(der).decode(),
            "ValidityStartTime": valid_from.timestamp(),
            "ValidityEndTime": valid_to.timestamp(),
            "Fingerprint": fingerprint_of(key),
        }
        return {"PublicKeyList": [entry]}


def sign(key: rsa.RSAPrivateKey, digest: dict[str, Any], inflated: bytes) -> str:
    return key.sign(string_to_sign(digest, inflated), PKCS1v15(), SHA256()).hex()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class TrailDelivery:
    """One trail's deliveries for one region into its bucket, as CloudTrail writes them."""

    s3: Any
    key: rsa.RSAPrivateKey
    account_id: str
    region: str
    trail_name: str
    bucket: str
    home_region: str = ""
    prefix: str = ""
    previous: dict[str, Any] | None = None  # the last digest written: the next one names it
    digests: list[str] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)  # digest key -> its log files

    def _base(self, folder: str, moment: datetime) -> str:
        prefix = f"{self.prefix}/" if self.prefix else ""
        return f"{prefix}AWSLogs/{self.account_id}/{folder}/{self.region}/{moment:%Y/%m/%d}/"

    def _log_file(self, moment: datetime) -> dict[str, Any]:
        records = {"Records": [{"eventVersion": "1.09", "eventTime": _stamp(moment), "eventName": "DescribeTrails"}]}
        content = json.dumps(records).encode()
        name = f"{self.account_id}_CloudTrail_{self.region}_{moment:%Y%m%dT%H%MZ}_{uuid.uuid4().hex[:16]}.json.gz"
        key = self._base("CloudTrail", moment) + name
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(content))
        return {
            "s3Bucket": self.bucket,
            "s3Object": key,
            "hashValue": hashlib.sha256(content).hexdigest(),  # of the uncompressed content
            "hashAlgorithm": "SHA-256",
            "newestEventTime": _stamp(moment),
            "oldestEventTime": _stamp(moment),
        }

    def deliver_hour(self, end: datetime, log_files: int = 2) -> str:
        """The log files of the hour ending at `end`, then its digest, signed; returns the digest's key."""
        start = end - timedelta(hours=1)
        logs = [self._log_file(start + timedelta(minutes=5 * (i + 1))) for i in range(log_files)]
        name = f"{self.account_id}_CloudTrail-Digest_{self.region}_{self.trail_name}_{self.home_region or self.region}_"
        key = f"{self._base('CloudTrail-Digest', end)}{name}{end:%Y%m%dT%H%M%SZ}.json.gz"
        previous = self.previous or {}
        digest = {
            "awsAccountId": self.account_id,
            "digestStartTime": _stamp(start),
            "digestEndTime": _stamp(end),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": fingerprint_of(self.key),
            "digestSignatureAlgorithm": ALGORITHM,
            "newestEventTime": logs[-1]["newestEventTime"] if logs else None,
            "oldestEventTime": logs[0]["oldestEventTime"] if logs else None,
            "previousDigestS3Bucket": previous.get("bucket"),
            "previousDigestS3Object": previous.get("key"),
            "previousDigestHashValue": previous.get("hash"),
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": previous.get("signature"),
            "logFiles": logs,
        }
        inflated = json.dumps(digest).encode()
        signature = sign(self.key, digest, inflated)
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=gzip.compress(inflated),
            Metadata={"signature": signature, "signature-algorithm": ALGORITHM},
        )
        self.previous = {
            "bucket": self.bucket,
            "key": key,
            "hash": hashlib.sha256(inflated).hexdigest(),
            "signature": signature,
        }
        self.digests.append(key)
        self.logs[key] = [log["s3Object"] for log in logs]
        return key
