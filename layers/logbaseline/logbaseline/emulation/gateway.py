"""The emulator's front door: AWS's request rates and Security Hub's finding operations, in front of moto.

Every request to the emulator passes here (a WSGI middleware around moto's server), from any client or process:
- a request over the account's published rate for its operation (quotas.py) is throttled with the service's own
  error, per account, region and operation, as AWS does, and the client's retry policy deals with it;
- Security Hub's finding operations are answered by emulation/securityhub.py, which validates and filters as AWS
  does; CloudTrail's ListPublicKeys, which moto lacks, by emulation/trail_digests.py (whose keys sign the digests the
  tests and the demo deliver), CloudTrail Lake's event data stores by emulation/lake.py, Amazon Security Lake's
  data lakes and log sources by emulation/securitylake.py, Redshift Serverless's namespaces by
  emulation/redshift_serverless.py, MSK Connect's connectors by emulation/kafkaconnect.py, Systems Manager's
  Automation logging settings by emulation/ssm_settings.py, its managed nodes and State Manager associations by
  emulation/ssm_associations.py, and Amazon Connect's instance attributes by
  emulation/connect_attributes.py, Global Accelerator's accelerators by emulation/globalaccelerator.py, EC2's
  DescribeClientVpnEndpoints (which moto lacks) as for an account without
  endpoints; everything else goes on to moto (whose DataSync ARNs emulation/datasync_arns.py
  files under the caller's account, as AWS does).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from logbaseline.aws import partition
from logbaseline.emulation import datasync_arns, kafkaconnect
from logbaseline.emulation.connect_attributes import PATH as CONNECT_ATTRIBUTE_PATH
from logbaseline.emulation.connect_attributes import InstanceAttributeError, InstanceAttributes
from logbaseline.emulation.globalaccelerator import AcceleratorError, Accelerators
from logbaseline.emulation.lake import EventDataStores, LakeError
from logbaseline.emulation.redshift_serverless import OPERATIONS as SERVERLESS_OPERATIONS
from logbaseline.emulation.redshift_serverless import Namespaces, ServerlessError
from logbaseline.emulation.securityhub import Hubs, SecurityHubError
from logbaseline.emulation.securitylake import OPERATIONS as SECURITY_LAKE_OPERATIONS
from logbaseline.emulation.securitylake import DataLakes, SecurityLakeError
from logbaseline.emulation.ssm_associations import OPERATIONS as SSM_ASSOCIATION_OPERATIONS
from logbaseline.emulation.ssm_associations import AssociationError, Associations
from logbaseline.emulation.ssm_settings import OPERATIONS as SSM_SETTING_OPERATIONS
from logbaseline.emulation.ssm_settings import ServiceSettings, SettingError
from logbaseline.emulation.trail_digests import ListPublicKeysError, SigningKeys
from logbaseline.quotas import THROTTLED, Pacer

CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")
SECURITY_HUB_OPERATIONS = {
    ("POST", "/findings"): "GetFindings",
    ("POST", "/findings/import"): "BatchImportFindings",
    ("PATCH", "/findings/batchupdate"): "BatchUpdateFindings",
    ("POST", "/findingHistory/get"): "GetFindingHistory",
}
LAKE_OPERATIONS = ("CreateEventDataStore", "GetEventDataStore", "ListEventDataStores", "UpdateEventDataStore")
StartResponse = Callable[..., Any]


class Gateway:
    def __init__(self, app: Callable[..., Iterable[bytes]], throttling: bool = True) -> None:
        self.app = app
        datasync_arns.in_callers_account()
        self.throttling = throttling
        self.hubs = Hubs()
        self.signing_keys = SigningKeys()  # CloudTrail's digest-signing keys, per region
        self.lake = EventDataStores()  # CloudTrail Lake's event data stores (emulation/lake.py)
        self.security_lake = DataLakes()  # Amazon Security Lake (emulation/securitylake.py)
        self.namespaces = Namespaces()  # Redshift Serverless's namespaces (emulation/redshift_serverless.py)
        self.connectors = kafkaconnect.Connectors()  # MSK Connect's connectors (emulation/kafkaconnect.py)
        self.ssm_settings = ServiceSettings()  # Systems Manager's account settings (emulation/ssm_settings.py)
        self.ssm_associations = Associations()  # managed nodes and State Manager (emulation/ssm_associations.py)
        self.connect_attributes = InstanceAttributes()  # Amazon Connect's (emulation/connect_attributes.py)
        self.accelerators = Accelerators()  # Global Accelerator's (emulation/globalaccelerator.py)
        self.calls: Counter[tuple[str, str]] = Counter()  # (service, operation)
        self.throttled: Counter[tuple[str, str]] = Counter()
        self.seconds = 0.0  # spent answering (moto's work and the Security Hub store's), for benchmarks
        self.clock: Callable[[], float] = time.monotonic  # the buckets' time (a test may stop it)
        self._quotas = Pacer(clock=self.clock)  # AWS's side of the same buckets: take a token or be throttled
        self._accounts: dict[str, str] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget findings, counts and spent tokens: a new test starts with full buckets."""
        with self._lock:
            self.hubs.reset()
            self.lake.reset()
            self.security_lake.reset()
            self.namespaces.reset()
            self.connectors.reset()
            self.ssm_settings.reset()
            self.ssm_associations.reset()
            self.connect_attributes.reset()
            self.accelerators.reset()
            self._quotas = Pacer(clock=self.clock)  # full buckets, on the clock in use
            self.calls.clear()
            self.throttled.clear()
            self.seconds = 0.0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == "/moto-api/reset" and method == "POST":
            self.reset()
        match = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:
            return self.app(environ, start_response)
        access_key, region, service = match.groups()
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        operation = self._operation(service, method, path, environ, body)
        account_id = self._account_of(access_key)
        with self._lock:
            self.calls[(service, operation)] += 1
        if self.throttling and not self._quotas.take(account_id, region, service, operation):
            with self._lock:
                self.throttled[(service, operation)] += 1
            return _throttled(service, start_response)
        started = time.monotonic()
        try:
            if service == "securityhub" and operation in SECURITY_HUB_OPERATIONS.values():
                identity = _identity_of(access_key, account_id, region)
                return self._security_hub(account_id, region, operation, body, start_response, identity)
            if service == "cloudtrail" and operation == "ListPublicKeys":
                return self._list_public_keys(region, body, start_response)
            if service == "cloudtrail" and operation in LAKE_OPERATIONS:
                return self._lake(account_id, region, operation, body, start_response)
            if service == "securitylake":
                return self._security_lake(account_id, region, operation, environ, body, start_response)
            if service == "redshift-serverless" and operation in SERVERLESS_OPERATIONS:
                return self._serverless(account_id, region, operation, body, start_response)
            if service == "kafkaconnect" and kafkaconnect.operation(method, path)[0]:
                return self._connect(account_id, region, *kafkaconnect.operation(method, path), body, start_response)
            if service == "ssm" and operation in SSM_SETTING_OPERATIONS:
                return self._ssm_setting(account_id, region, operation, body, start_response)
            if service == "ssm" and operation in SSM_ASSOCIATION_OPERATIONS:
                return self._ssm_association(account_id, region, operation, body, start_response)
            if service == "connect" and CONNECT_ATTRIBUTE_PATH.match(path):
                return self._connect_attribute(account_id, region, method, path, body, start_response)
            if service == "globalaccelerator":
                return self._accelerator(account_id, region, operation, body, start_response)
            if service == "ec2" and operation == "DescribeClientVpnEndpoints":
                return _no_client_vpn_endpoints(body, start_response)
            return list(self.app(environ, start_response))  # answered in full here, so that it is timed
        finally:
            with self._lock:
                self.seconds += time.monotonic() - started

    def _operation(self, service: str, method: str, path: str, environ: dict[str, Any], body: bytes) -> str:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return target.rsplit(".", 1)[-1]
        if service == "securityhub":
            return SECURITY_HUB_OPERATIONS.get((method, path.rstrip("/") or "/"), "*")
        if service == "securitylake":
            return SECURITY_LAKE_OPERATIONS.get((method, path.rstrip("/")), "*")
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            return parse_qs(body.decode()).get("Action", ["*"])[0]
        return "*"

    def _account_of(self, access_key: str) -> str:
        account_id = self._accounts.get(access_key)
        if account_id is None:
            from moto.iam.models import get_account_id_from  # as moto itself decides the caller's account

            account_id = self._accounts[access_key] = get_account_id_from(access_key)
        return account_id

    def _security_hub(
        self,
        account_id: str,
        region: str,
        operation: str,
        body: bytes,
        start_response: StartResponse,
        identity: str = "",
    ) -> Iterable[bytes]:
        request = json.loads(body or b"{}")
        store = self.hubs(account_id, region)
        try:
            if operation == "BatchImportFindings":
                answer = store.batch_import_findings(request.get("Findings") or [], identity)
            elif operation == "BatchUpdateFindings":
                answer = store.batch_update_findings(request, identity)
            elif operation == "GetFindingHistory":
                answer = store.get_finding_history(request)
            else:
                answer = store.get_findings(request)
        except SecurityHubError as error:
            return _respond(start_response, error.status, {"message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _list_public_keys(self, region: str, body: bytes, start_response: StartResponse) -> Iterable[bytes]:
        try:
            answer = self.signing_keys.list_public_keys(region, json.loads(body or b"{}"))
        except ListPublicKeysError as error:
            # CloudTrail speaks JSON 1.1: the error's code is the body's __type
            return _respond(start_response, 400, {"__type": error.code, "message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _lake(
        self, account_id: str, region: str, operation: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.lake.answer(account_id, region, operation, json.loads(body or b"{}"))
        except LakeError as error:
            return _respond(start_response, 400, {"__type": error.code, "message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _security_lake(
        self,
        account_id: str,
        region: str,
        operation: str,
        environ: dict[str, Any],
        body: bytes,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        if operation == "*":  # an operation the emulator does not model: AWS has it, so say so plainly
            message = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} is not emulated"
            return _respond(start_response, 501, {"message": message}, "NotImplemented")
        request = json.loads(body or b"{}")
        if operation == "ListDataLakes":  # its only member is the repeated query string `regions`
            request = {"regions": parse_qs(environ.get("QUERY_STRING", "")).get("regions", [])}
        try:
            answer = self.security_lake.answer(account_id, region, operation, request)
        except SecurityLakeError as error:
            return _respond(start_response, error.status, {"message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _serverless(
        self, account_id: str, region: str, operation: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.namespaces.answer(account_id, region, operation, json.loads(body or b"{}"))
        except ServerlessError as error:
            return _respond(start_response, 400, {"__type": error.code, "message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _connect(
        self, account_id: str, region: str, name: str, arn: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.connectors.answer(account_id, region, name, arn, json.loads(body or b"{}"))
        except kafkaconnect.ConnectError as error:
            return _respond(start_response, error.status, {"message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _connect_attribute(
        self, account_id: str, region: str, method: str, path: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.connect_attributes.answer(account_id, region, method, path, json.loads(body or b"{}"))
        except InstanceAttributeError as error:
            return _respond(start_response, error.status, {"message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _accelerator(
        self, account_id: str, region: str, operation: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.accelerators.answer(account_id, region, operation, json.loads(body or b"{}"))
        except AcceleratorError as error:  # JSON 1.1: the error's code is the body's __type
            body_out = {"__type": error.code, "message": error.message}
            return _respond(start_response, error.status, body_out, error.code)
        return _respond(start_response, 200, answer)

    def _ssm_setting(
        self, account_id: str, region: str, operation: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.ssm_settings.answer(account_id, region, operation, json.loads(body or b"{}"))
        except SettingError as error:
            return _respond(start_response, 400, {"__type": error.code, "message": error.message}, error.code)
        return _respond(start_response, 200, answer)

    def _ssm_association(
        self, account_id: str, region: str, operation: str, body: bytes, start_response: StartResponse
    ) -> Iterable[bytes]:
        try:
            answer = self.ssm_associations.answer(account_id, region, operation, json.loads(body or b"{}"))
        except AssociationError as error:
            return _respond(start_response, 400, {"__type": error.code, "message": error.message}, error.code)
        return _respond(start_response, 200, answer)


def _no_client_vpn_endpoints(body: bytes, start_response: StartResponse) -> Iterable[bytes]:
    """moto has no Client VPN, so no endpoint can exist: AWS's answer for an account without one (an endpoint
    asked for by id does not exist), rather than moto's 500."""
    named = [v for k, values in parse_qs(body.decode()).items() if k.startswith("ClientVpnEndpointId.") for v in values]
    if named:
        message = f"The Client VPN endpoint ID '{named[0]}' does not exist"
        return _ec2_error(start_response, 400, "InvalidClientVpnEndpointId.NotFound", message)
    payload = (
        b'<DescribeClientVpnEndpointsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        b"<requestId>emulated</requestId><clientVpnEndpoint/></DescribeClientVpnEndpointsResponse>"
    )
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
    return [payload]


def _ec2_error(start_response: StartResponse, status: int, code: str, message: str) -> Iterable[bytes]:
    payload = (
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        "<RequestID>emulated</RequestID></Response>"
    ).encode()
    start_response(f"{status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
    return [payload]


def _identity_of(access_key: str, account_id: str, region: str) -> str:
    """The caller's ARN, which GetFindingHistory gives as a change's Identity: as STS's GetCallerIdentity answers
    it (an assumed role's session, an IAM user)."""
    from moto.sts.models import sts_backends

    return sts_backends[account_id][partition(region)].get_caller_identity(access_key, region)[1]


def _respond(start_response: StartResponse, status: int, body: Any, error_code: str = "") -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    if error_code:
        headers.append(("x-amzn-ErrorType", error_code))
    start_response(f"{status} {'OK' if status == 200 else 'Error'}", headers)
    return [payload]


def _throttled(service: str, start_response: StartResponse) -> Iterable[bytes]:
    code, status = THROTTLED.get(service, ("ThrottlingException", 400))
    if service == "ec2":  # the EC2 query protocol answers in XML
        payload = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>Request limit exceeded.</Message></Error>"
            "</Errors><RequestID>throttled</RequestID></Response>"
        ).encode()
        start_response(f"{status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
        return [payload]
    return _respond(start_response, status, {"message": "Rate exceeded"}, code)
