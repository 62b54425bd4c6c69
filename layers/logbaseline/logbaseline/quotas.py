"""AWS's published request rates for the calls the service makes, and a token bucket to keep under them.

One table, each rate with its source. The service paces its own Security Hub calls with it (a Lambda container
keeps its share below the account's quota); the local emulator throttles every client with it, as AWS does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    per_second: float  # the bucket's refill
    burst: int  # the bucket's size
    source: str
    adjustable: bool = False  # can be raised through Service Quotas


SECURITY_HUB = "botocore securityhub service model, service documentation (throttling limits)"
EC2 = "Amazon EC2 API reference, 'Request throttling for the Amazon EC2 API' (non-mutating actions)"

# (service, operation); an operation of a service not named here falls to the service's '*' entry.
RATES: dict[tuple[str, str], Rate] = {
    ("securityhub", "GetFindings"): Rate(3, 6, SECURITY_HUB),
    ("securityhub", "BatchImportFindings"): Rate(10, 30, SECURITY_HUB),
    ("securityhub", "BatchUpdateFindings"): Rate(10, 30, SECURITY_HUB),
    ("securityhub", "BatchEnableStandards"): Rate(1, 1, SECURITY_HUB),
    ("securityhub", "*"): Rate(10, 30, SECURITY_HUB),
    ("ec2", "DescribeVpcs"): Rate(20, 100, EC2, adjustable=True),
    ("ec2", "DescribeFlowLogs"): Rate(20, 100, EC2, adjustable=True),
    ("ec2", "DescribeSubnets"): Rate(20, 100, EC2, adjustable=True),
}

# How each service answers a request over its rate (error code, HTTP status), from its service model or guide.
THROTTLED = {"securityhub": ("LimitExceededException", 429), "ec2": ("RequestLimitExceeded", 503)}


def rate_of(service: str, operation: str) -> Rate | None:
    return RATES.get((service, operation)) or RATES.get((service, "*"))


class TokenBucket:
    """AWS's throttling algorithm: `burst` tokens, refilled at `per_second`; a call takes one token."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.clock = rate, clock
        self.tokens, self.updated = float(rate.burst), clock()
        self.lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock()
        # Rounded, so that a wait of exactly the missing fraction of a token always ends with the token.
        self.tokens = round(min(self.rate.burst, self.tokens + (now - self.updated) * self.rate.per_second), 9)
        self.updated = now

    def take(self) -> bool:
        """One token if there is one (AWS's side: a request without one is throttled)."""
        with self.lock:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False

    def ready(self) -> bool:
        """Whether a call would go now (without taking its token)."""
        with self.lock:
            self._refill()
            return self.tokens >= 1

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Take a token, waiting for one if need be (the caller's side); returns the seconds waited."""
        waited = 0.0
        while True:
            with self.lock:
                self._refill()
                if self.tokens >= 1:
                    self.tokens -= 1
                    return waited
                pause = (1 - self.tokens) / self.rate.per_second
            sleep(pause)
            waited += pause


class Pacer:
    """The caller's buckets, one per (account, region, service, operation), at `share` of AWS's rate: several
    Lambda containers call the same account's Security Hub at once, and each keeps to its share."""

    def __init__(
        self,
        share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.share, self.clock, self.sleep = share, clock, sleep
        self._buckets: dict[tuple[str, str, str, str], TokenBucket] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Full buckets again (a new container; for the tests, a test that starts apart from the last)."""
        with self._lock:
            self._buckets.clear()

    def _bucket(self, account_id: str, region: str, service: str, operation: str) -> TokenBucket | None:
        rate = rate_of(service, operation)
        if rate is None:
            return None
        key = (account_id, region, service, operation)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                shared = Rate(rate.per_second * self.share, max(1, int(rate.burst * self.share)), rate.source)
                bucket = self._buckets[key] = TokenBucket(shared, self.clock)
        return bucket

    def wait(self, account_id: str, region: str, service: str, operation: str) -> float:
        """Wait for the call's turn; returns the seconds waited."""
        bucket = self._bucket(account_id, region, service, operation)
        return bucket.wait(self.sleep) if bucket else 0.0

    def ready(self, account_id: str, region: str, service: str, operation: str) -> bool:
        """Whether the call would go now, without waiting."""
        bucket = self._bucket(account_id, region, service, operation)
        return bucket.ready() if bucket else True

    def take(self, account_id: str, region: str, service: str, operation: str) -> bool:
        """The call's token if there is one now (AWS's side: a call without one is throttled)."""
        bucket = self._bucket(account_id, region, service, operation)
        return bucket.take() if bucket else True
