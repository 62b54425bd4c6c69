"""Systems Manager's managed nodes and State Manager associations, for the emulator: moto 5.2.5 implements none of
DescribeInstanceInformation, CreateAssociation, ListAssociations, DescribeAssociation, UpdateAssociation,
DeleteAssociation or DescribeInstanceAssociationsStatus.

Shaped by botocore's `ssm` model (JSON 1.1). What the emulator decides, since no API registers an EC2 instance:
- a running EC2 instance of moto's with an IAM instance profile is a managed node (the SSM Agent of AWS's AMIs
  registers it), always `Online`; DescribeInstanceInformation does not return stopped or terminated nodes (the API
  reference), and a node it is asked for by id that it does not return is InvalidInstanceId, as AWS answers an id
  "that isn't valid or a node that you don't own";
- an association runs when it is created or updated and, for a node that becomes its target later, when first asked
  about (State Manager applies it to new targets); its schedule's reruns are not modelled.
  AmazonCloudWatch-ManageAgent's `configure` from Parameter Store fails (`Failed`, as
  `amazon-cloudwatch-agent-ctl -c ssm:<name>` does) when the parameter does not exist in the node's account and
  region; every other run succeeds (the CloudWatch agent is taken as installed).
Refused as AWS refuses: an unknown document (InvalidDocument), parameters the document does not declare or values
outside its allowed values (InvalidParameters), an association that does not exist (AssociationDoesNotExist), a node
that is not managed (InvalidInstanceId), a filter key DescribeInstanceInformation does not know (InvalidFilterKey);
a filter key AWS knows that the emulator does not model, or a resource-group target, is refused as not emulated,
never ignored. An association made with the older InstanceId is kept with an InstanceIds target.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

CLOUDWATCH_AGENT = "AmazonCloudWatch-ManageAgent"
# The parameters of AmazonCloudWatch-ManageAgent (AWS's published document): name -> allowed values (None: any).
MANAGE_AGENT = {
    "action": ("configure", "configure (append)", "configure (remove)", "start", "status", "stop"),
    "mode": ("ec2", "onPremise", "auto"),
    "optionalConfigurationSource": ("ssm", "default", "all"),
    "optionalConfigurationLocation": None,
    "optionalOpenTelemetryCollectorConfigurationSource": None,
    "optionalOpenTelemetryCollectorConfigurationLocation": None,
    "optionalRestart": ("yes", "no"),
}
DOCUMENTS: dict[str, dict[str, Any] | None] = {  # AWS-owned documents an association may name (None: not checked)
    CLOUDWATCH_AGENT: MANAGE_AGENT,
    "AWS-ConfigureAWSPackage": None,
    "AWS-GatherSoftwareInventory": None,
    "AWS-RunPatchBaseline": None,
    "AWS-RunShellScript": None,
    "AWS-UpdateSSMAgent": None,
}
OPERATIONS = (
    "DescribeInstanceInformation",
    "CreateAssociation",
    "ListAssociations",
    "DescribeAssociation",
    "UpdateAssociation",
    "DeleteAssociation",
    "DescribeInstanceAssociationsStatus",
)
NODE_FILTERS = ("InstanceIds", "ResourceType", "PingStatus", "PlatformTypes")  # modelled; tag:<key> too
UNMODELLED_FILTERS = ("AgentVersion", "ActivationIds", "IamRole", "AssociationStatus", "tag-key")
PAGE = 50


class AssociationError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _nodes(account: str, region: str) -> dict[str, dict[str, Any]]:
    """moto's EC2 instances that are managed nodes, as DescribeInstanceInformation lists them."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    nodes = {}
    for instance in backend.all_instances():
        if instance._state.name != "running" or instance.id not in backend.iam_instance_profile_associations:
            continue
        windows = (instance.platform or "").lower() == "windows"
        nodes[instance.id] = {
            "InstanceId": instance.id,
            "PingStatus": "Online",
            "LastPingDateTime": time.time(),
            "AgentVersion": "3.3.1142.0",
            "PlatformType": "Windows" if windows else "Linux",
            "PlatformName": "Microsoft Windows Server 2022 Datacenter" if windows else "Amazon Linux",
            "ResourceType": "EC2Instance",
            "IPAddress": instance.private_ip,
            "ComputerName": f"ip-{instance.private_ip.replace('.', '-')}.ec2.internal",
            "tags": {t["key"]: t["value"] for t in instance.tag_set},
        }
    return nodes


def _parameter_exists(account: str, region: str, name: str) -> bool:
    from moto.ssm.models import ssm_backends

    return ssm_backends[account][region].get_parameter(name) is not None


def _targets(targets: list[dict[str, Any]], node: dict[str, Any]) -> bool:
    for target in targets:
        key, values = target.get("Key", ""), target.get("Values") or []
        if key.lower() == "instanceids" and ("*" in values or node["InstanceId"] in values):
            return True
        if key.startswith("tag:") and node["tags"].get(key[4:]) in values:
            return True
        if key == "tag-key" and any(v in node["tags"] for v in values):
            return True
    return False


def _page(items: list[dict[str, Any]], request: dict[str, Any], key: str) -> dict[str, Any]:
    token = str(request.get("NextToken") or "0")
    if not token.isdigit():
        raise AssociationError("InvalidNextToken", "The specified token is not valid.")
    start = int(token)
    size = int(request.get("MaxResults") or PAGE)
    answer: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        answer["NextToken"] = str(start + size)
    return answer


class Associations:
    """Every account's and region's associations, and each association's last run per node."""

    def __init__(self) -> None:
        self._associations: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._runs: dict[tuple[str, str, str], dict[str, Any]] = {}  # (account, association, node) -> status info
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._associations.clear()
            self._runs.clear()

    def answer(self, account: str, region: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            mine = self._associations.setdefault((account, region), {})
            if operation == "DescribeInstanceInformation":
                return _page(self._describe_nodes(account, region, request), request, "InstanceInformationList")
            if operation == "CreateAssociation":
                return {"AssociationDescription": self._create(account, region, mine, request)}
            if operation == "ListAssociations":
                wanted = request.get("AssociationFilterList") or []
                for key in {w["key"] for w in wanted} - {"Name", "AssociationId", "AssociationName"}:
                    raise AssociationError("NotImplemented", f"The association filter {key} is not emulated.")
                listed = [_summary(a) for a in mine.values() if all(a.get(w["key"]) == w["value"] for w in wanted)]
                return _page(listed, request, "Associations")
            if operation == "DescribeInstanceAssociationsStatus":
                return _page(self._statuses(account, region, mine, request), request, "InstanceAssociationStatusInfos")
            association = mine.get(str(request.get("AssociationId")))
            if association is None:
                raise AssociationError("AssociationDoesNotExist", "The specified association does not exist.")
            if operation == "DeleteAssociation":
                del mine[association["AssociationId"]]
                return {}
            if operation == "UpdateAssociation":
                self._update(association, request)
            return {"AssociationDescription": dict(association)}

    def _describe_nodes(self, account: str, region: str, request: dict[str, Any]) -> list[dict[str, Any]]:
        nodes = list(_nodes(account, region).values())
        for wanted in request.get("Filters") or []:
            if wanted["Key"] in UNMODELLED_FILTERS:
                raise AssociationError("NotImplemented", f"The filter key {wanted['Key']} is not emulated.")
            if wanted["Key"] not in NODE_FILTERS and not wanted["Key"].startswith("tag:"):
                raise AssociationError("InvalidFilterKey", f"The filter key {wanted['Key']} is not valid.")
            if wanted["Key"] == "InstanceIds":
                unknown = sorted(set(wanted["Values"]) - {n["InstanceId"] for n in nodes})
                if unknown:
                    raise AssociationError("InvalidInstanceId", f"Instances {unknown} are not managed nodes.")
            field = {"InstanceIds": "InstanceId", "PlatformTypes": "PlatformType"}.get(wanted["Key"], wanted["Key"])
            if wanted["Key"].startswith("tag:"):
                nodes = [n for n in nodes if n["tags"].get(wanted["Key"][4:]) in wanted["Values"]]
            else:
                nodes = [n for n in nodes if n[field] in wanted["Values"]]
        return [{k: v for k, v in n.items() if k != "tags"} for n in nodes]

    def _create(self, account: str, region: str, mine: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if name not in DOCUMENTS:
            raise AssociationError("InvalidDocument", f"Document {name} does not exist.")
        _check_parameters(name, request.get("Parameters") or {})
        targets = request.get("Targets") or (
            [{"Key": "InstanceIds", "Values": [request["InstanceId"]]}] if request.get("InstanceId") else []
        )
        if not targets:
            raise AssociationError("InvalidTarget", "Targets or InstanceId must be given.")
        if any(t.get("Key", "").startswith("resource-groups:") for t in targets):
            raise AssociationError("NotImplemented", "Resource group targets are not emulated.")
        association_id = str(uuid.uuid4())
        now = time.time()
        mine[association_id] = {
            "Name": name,
            "AssociationId": association_id,
            "AssociationVersion": "1",
            "AssociationName": request.get("AssociationName", ""),
            "DocumentVersion": request.get("DocumentVersion", "$DEFAULT"),
            "Parameters": request.get("Parameters") or {},
            "Targets": targets,
            "ScheduleExpression": request.get("ScheduleExpression", ""),
            "Date": now,
            "LastUpdateAssociationDate": now,
            "Overview": {"Status": "Pending", "DetailedStatus": "Creating"},
            "ApplyOnlyAtCronInterval": bool(request.get("ApplyOnlyAtCronInterval")),
        }
        if not mine[association_id]["AssociationName"]:
            del mine[association_id]["AssociationName"]
        return dict(mine[association_id])

    def _update(self, association: dict[str, Any], request: dict[str, Any]) -> None:
        if "Parameters" in request:
            _check_parameters(association["Name"], request["Parameters"])
        for key in ("Parameters", "Targets", "ScheduleExpression", "AssociationName", "DocumentVersion"):
            if key in request:
                association[key] = request[key]
        association["AssociationVersion"] = str(int(association["AssociationVersion"]) + 1)
        association["LastUpdateAssociationDate"] = time.time()
        for run in [k for k in self._runs if k[1] == association["AssociationId"]]:
            del self._runs[run]  # the new version runs again on every target

    def _statuses(self, account: str, region: str, mine: dict[str, Any], request: dict[str, Any]) -> list[Any]:
        node = _nodes(account, region).get(request["InstanceId"])
        if node is None:
            raise AssociationError("InvalidInstanceId", f"Instance {request['InstanceId']} is not a managed node.")
        infos = []
        for association in mine.values():
            if not _targets(association["Targets"], node):
                continue
            key = (account, association["AssociationId"], node["InstanceId"])
            if key not in self._runs:
                self._runs[key] = _run(account, region, association, node)
            infos.append(dict(self._runs[key]))
        return infos


def _check_parameters(name: str, parameters: dict[str, list[str]]) -> None:
    declared = DOCUMENTS[name]
    if declared is None:
        return
    for key, values in parameters.items():
        if key not in declared or (declared[key] and any(v not in declared[key] for v in values)):
            raise AssociationError("InvalidParameters", f"Parameter {key}={values} is not valid for {name}.")


def _summary(association: dict[str, Any]) -> dict[str, Any]:
    keys = ("Name", "AssociationId", "AssociationVersion", "DocumentVersion", "Targets", "Overview")
    summary = {k: association[k] for k in keys}
    optional = ("AssociationName", "ScheduleExpression", "LastExecutionDate")
    summary.update({k: association[k] for k in optional if association.get(k)})
    return summary


def _run(account: str, region: str, association: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    parameters = {k: v[0] if v else "" for k, v in association["Parameters"].items()}
    status, detail, error = "Success", "Success", ""
    if (
        association["Name"] == CLOUDWATCH_AGENT
        and parameters.get("action", "configure").startswith("configure")
        and parameters.get("optionalConfigurationSource", "ssm") == "ssm"
        and not _parameter_exists(account, region, parameters.get("optionalConfigurationLocation", ""))
    ):
        status, detail, error = "Failed", "Failed", "1"
    association["Overview"] = {"Status": status, "DetailedStatus": detail}
    association["LastExecutionDate"] = time.time()
    info = {
        "AssociationId": association["AssociationId"],
        "Name": association["Name"],
        "DocumentVersion": association["DocumentVersion"],
        "AssociationVersion": association["AssociationVersion"],
        "InstanceId": node["InstanceId"],
        "ExecutionDate": association["LastExecutionDate"],
        "Status": status,
        "DetailedStatus": detail,
        "ExecutionSummary": f"1 out of 1 plugin processed, {'1 success' if status == 'Success' else '1 failed'}",
    }
    if association.get("AssociationName"):
        info["AssociationName"] = association["AssociationName"]
    if error:
        info["ErrorCode"] = error
    return info
