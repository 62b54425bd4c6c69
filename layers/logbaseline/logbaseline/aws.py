"""AWS clients from boto3's standard configuration chain (AWS_ENDPOINT_URL included)."""

from __future__ import annotations

import gzip
import json
import logging
import os
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import boto3
from botocore.config import Config
from botocore.loaders import JSONFileLoader, Loader, create_loader
from botocore.retries.standard import RetryContext, StandardRetryConditions

LOGGER = logging.getLogger(__name__)
# Standard retry mode: bounded retries with exponential backoff and jitter.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_appid="logbaseline")


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# Controls run in threads, and a boto3 session must not make two clients at once.
CLIENT_CREATION = threading.RLock()
# Reads made once per evaluation: an event or a sweep reaches several controls that list the same things
# (log groups, trails, buckets). None outside `reads_shared()`, so a fix's verifying re-read is always fresh.
READ_OPERATIONS = ("Describe", "List", "Get")
WAIT_FOR_SHARED_READ_SECONDS = 120  # then the control reads for itself
# Whether the client's retry policy would retry an answer (throttled, transient, or a retryable modeled error).
RETRIED = StandardRetryConditions()


def settled(http_response: Any, parsed: Any, model: Any) -> bool:
    """An answer that every control asking the same request in this evaluation would get: a success, or a client
    error that no retry changes (no such policy or configuration, access denied). Never a throttled, transient or
    server error: the next control asks AWS again."""
    status = http_response.status_code
    if status < 300:
        return True
    if not 400 <= status < 500:
        return False
    context = RetryContext(1, operation_model=model, parsed_response=parsed, http_response=http_response)
    return not RETRIED.is_retryable(context)


class _Read:
    """One read of an evaluation: made by the first control that asks, awaited by the others."""

    def __init__(self) -> None:
        self.done = threading.Event()
        # (HTTP response, parsed answer pickled), when it is settled (a success or a lasting error such as "no
        # policy"): each control gets its own copy to change, and pickling once is far cheaper than a deep copy of
        # every page (a sweep reads thousands of items). An error answer raises the same error in every control.
        self.answer: tuple[Any, bytes] | None = None


class SharedReads:
    def __init__(self) -> None:
        self._reads: dict[tuple[Any, ...], _Read] = {}
        self._lock = threading.Lock()

    def claim(self, key: tuple[Any, ...]) -> tuple[_Read, bool]:
        """The read for this key, and whether the caller is the one to make it."""
        with self._lock:
            if key in self._reads:
                return self._reads[key], False
            read = self._reads[key] = _Read()
            return read, True


_shared_reads: ContextVar[SharedReads | None] = ContextVar("logbaseline_shared_reads", default=None)


@contextmanager
def reads_shared() -> Iterator[None]:
    """Within the block (and the threads it starts with its context), an identical read (same client,
    operation and request) goes to AWS once."""
    token = _shared_reads.set(SharedReads())
    try:
        yield
    finally:
        _shared_reads.reset(token)


def _share_reads(client: Any) -> None:
    owner = object()  # a key of this client: its account, region and service

    def note_request(params: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
        # The call's own parameters: a serialized request may leave some in the host name (S3's bucket).
        context["logbaseline_request"] = json.dumps(params, sort_keys=True, default=str)

    def answer_again(model: Any, context: dict[str, Any], **kwargs: Any) -> Any:
        shared = _shared_reads.get()
        if shared is None or not model.name.startswith(READ_OPERATIONS) or "logbaseline_request" not in context:
            return None
        read, mine = shared.claim((owner, model.name, context["logbaseline_request"]))
        if mine:
            context["logbaseline_read"] = read
            return None
        if read.done.wait(WAIT_FOR_SHARED_READ_SECONDS) and read.answer is not None:
            http_response, pickled = read.answer
            return http_response, pickle.loads(pickled)
        return None  # the first attempt was throttled or failed: this one reads for itself

    def remember(http_response: Any, parsed: Any, model: Any, context: dict[str, Any], **kwargs: Any) -> None:
        read = context.pop("logbaseline_read", None)
        if read is not None:
            if settled(http_response, parsed, model):
                try:
                    read.answer = (http_response, pickle.dumps(parsed, pickle.HIGHEST_PROTOCOL))
                except (pickle.PicklingError, TypeError):  # a streamed body: the others read for themselves
                    pass
            read.done.set()

    def release(context: dict[str, Any], **kwargs: Any) -> None:
        read = context.pop("logbaseline_read", None)
        if read is not None:
            read.done.set()

    client.meta.events.register("before-parameter-build", note_request)
    client.meta.events.register("before-call", answer_again)
    client.meta.events.register("after-call", remember)
    client.meta.events.register("after-call-error", release)


class PlainModelFiles(JSONFileLoader):
    """botocore's data files (service models, endpoint rules) parsed into plain dicts. botocore parses them into
    OrderedDicts, which takes two to three times as long, and parsing is most of a client's creation (a sweep makes
    a client for each service it reads); a dict keeps the files' order all the same, and botocore builds its own
    ordered structures from it."""

    OPENERS = ((".json", open), (".json.gz", gzip.open))  # botocore's own order: a customer's plain file first

    def load_file(self, file_path: str) -> Any:
        for extension, opener in self.OPENERS:
            if os.path.isfile(file_path + extension):
                with opener(file_path + extension, "rb") as file:
                    return json.loads(file.read().decode("utf-8"))
        return None


# Trimmed service models (trimmed_models.py): a service the package reads gets a client of the operations the
# code names only, made in a fraction of the time; first on the loader's search path, botocore finds the rest
# (endpoint rules, paginators) in its own data.
TRIMMED_MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "service_models")
# A client asked for an operation its trimmed model lacks answers with a client of the full model, and says so.
# The tests turn this off: an operation missing from the trimmed models fails them.
FULL_MODEL_FALLBACK = True


def use_fast_models(session: boto3.Session) -> None:
    """The session's loader (its cache kept) reads data files as PlainModelFiles, the trimmed models first."""
    loader = session._session.get_component("data_loader")  # boto3 gives no other way to its botocore session
    if not isinstance(loader.file_loader, PlainModelFiles):
        loader.file_loader = PlainModelFiles()
    if os.path.isdir(TRIMMED_MODELS) and TRIMMED_MODELS not in loader.search_paths:
        loader.search_paths.insert(0, TRIMMED_MODELS)


class Clients:
    """boto3 clients for one account, created on first use and reused.

    `clients("logs")` is a client in the default region; `clients("logs", "eu-west-1")`
    one in another region (a multi-region trail is managed from its home region).
    """

    def __init__(self, region: str, session: boto3.Session | None = None, config: Config = CLIENT_CONFIG):
        self.region = region
        self._session = session or boto3.Session()
        use_fast_models(self._session)
        self._config = config
        self._cache: dict[tuple[str, ...], Any] = {}

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        with CLIENT_CREATION:
            if key not in self._cache:
                client = self._session.client(service, region_name=key[1], config=self._config)
                _share_reads(client)
                client.meta.events.register("getattr", self._full_model_operation)
                self._cache[key] = client
            return self._cache[key]

    def _full_model_operation(self, client: Any, event_name: str, **_: Any) -> Any:
        """An operation missing from the trimmed model, from a client of the full model (botocore asks this
        for any attribute a client lacks; None: there is no such operation)."""
        name = event_name.rsplit(".", 1)[-1]
        if not FULL_MODEL_FALLBACK or name.startswith("_"):
            return None
        service, region = client.meta.service_model.service_name, client.meta.region_name
        key = (service, region, "full model")
        with CLIENT_CREATION:
            if key not in self._cache:
                botocore_session = self._session._session
                trimmed = botocore_session.get_component("data_loader")
                botocore_session.register_component("data_loader", _full_model_loader())
                try:
                    full = self._session.client(service, region_name=region, config=self._config)
                finally:
                    botocore_session.register_component("data_loader", trimmed)
                _share_reads(full)
                self._cache[key] = full
        operation = getattr(type(self._cache[key]), name, None)  # the class: no getattr event again
        if operation is None:
            return None
        LOGGER.warning("%s.%s is not in the trimmed service models: run `make service-models`", service, name)
        return getattr(self._cache[key], name)

    def resource(self, service: str) -> Any:
        """A boto3 resource (DynamoDB's Table, for its type conversions) in the default region."""
        with CLIENT_CREATION:
            return self._session.resource(service, region_name=self.region, config=self._config)

    def for_region(self, region: str) -> Clients:
        return Clients(region, self._session, self._config)


def _full_model_loader() -> Loader:
    with CLIENT_CREATION:
        global _FULL_MODEL_LOADER
        if _FULL_MODEL_LOADER is None:
            _FULL_MODEL_LOADER = create_loader()
            _FULL_MODEL_LOADER.file_loader = PlainModelFiles()
        return _FULL_MODEL_LOADER


_FULL_MODEL_LOADER: Loader | None = None


def caller_account_id(session: boto3.Session | None = None) -> str:
    return (session or boto3.Session()).client("sts", config=CLIENT_CONFIG).get_caller_identity()["Account"]


# Actions AWS authorizes on the caller for a call, beyond the call's own action.
IMPLIED_ACTIONS: dict[str, tuple[str, ...]] = {
    # CreateFlowLogs: PassRole for a CloudWatch Logs destination, log deliveries for an S3 one.
    "ec2:CreateFlowLogs": ("iam:PassRole", "logs:CreateLogDelivery", "logs:DeleteLogDelivery"),
    # Resolver query logging is a vended log delivery: CloudWatch Logs sets up the delivery and,
    # for a log group, its resource policy; for S3, the bucket policy.
    "route53resolver:CreateResolverQueryLogConfig": (
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "iam:CreateServiceLinkedRole",  # Resolver's own role (AWSServiceRoleForRoute53Resolver), the first time
    ),
    # The first detector creates GuardDuty's service-linked role.
    "guardduty:CreateDetector": ("iam:CreateServiceLinkedRole",),
    # The remediator's fix sessions carry a SourceIdentity (engine/sessions.py).
    "sts:AssumeRole": ("sts:SetSourceIdentity",),
    # Amazon Connect's ListInstances is authorized with the directories behind the instances (a read too, granted
    # with connect_instance_logging_enabled's reads).
    "connect:ListInstances": ("ds:DescribeDirectories",),
}
# API operations whose IAM action has another name.
AUTHORIZED_AS: dict[str, str] = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "tagging:GetResources": "tag:GetResources",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:ListObjectsV2": "s3:ListBucket",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",  # Service Authorization Reference
    # API Gateway authorizes by HTTP method on the resource path, for REST and V2 APIs alike.
    "apigateway:GetAccount": "apigateway:GET",
    "apigateway:GetRestApis": "apigateway:GET",
    "apigateway:GetRestApi": "apigateway:GET",
    "apigateway:GetApis": "apigateway:GET",
    "apigateway:GetApi": "apigateway:GET",
    "apigateway:GetStages": "apigateway:GET",
    "apigateway:GetStage": "apigateway:GET",
    "apigateway:UpdateStage": "apigateway:PATCH",
    # CloudWatch signs as "monitoring"; IAM names its actions "cloudwatch:".
    "monitoring:DescribeAlarms": "cloudwatch:DescribeAlarms",
    "monitoring:DescribeAlarmsForMetric": "cloudwatch:DescribeAlarmsForMetric",
    "monitoring:PutMetricAlarm": "cloudwatch:PutMetricAlarm",
}
