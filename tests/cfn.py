"""CloudFormation's intrinsic functions, resolved as a deploy would, for the policy documents of the templates.

Enough of CloudFormation for IAM: parameters (with their defaults), pseudo parameters, conditions
(Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition), Fn::If with AWS::NoValue, Ref, Fn::Sub (both
forms), Fn::GetAtt, Fn::Select, Fn::Split and Fn::Join. The ARN of a resource the stack creates is
made from its type and logical id, as CloudFormation would name it.
"""

from __future__ import annotations

import re
from typing import Any

NO_VALUE = object()

# The stacks' event rules by logical id. The CloudTrail API-call rules are split by event source so that each
# pattern stays under EventBridge's 2,048 characters (tests/test_contract.py measures them): a split adds a rule here.
API_CALL_RULES = ("CloudTrailApiCallRule", "ServiceLogApiCallRule")
FORWARDED_RULES = ("ConfigItemChangeRule", "ConfigOversizedItemChangeRule", *API_CALL_RULES, "TamperEventRule")


class Resolver:
    def __init__(
        self,
        template: dict[str, Any],
        parameters: dict[str, str] | None = None,
        account_id: str = "111122223333",
        region: str = "eu-west-1",
        stack_name: str = "logbaseline",
    ):
        self.template = template
        defaults = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
        self.refs: dict[str, str] = defaults | (parameters or {})
        self.refs |= {
            "AWS::Partition": "aws",
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.account_id, self.region = account_id, region

    # --- conditions -------------------------------------------------------------------------

    def condition(self, name: str) -> bool:
        return self._truth(self.template["Conditions"][name])

    def _truth(self, expression: Any) -> bool:
        (function, argument), *_ = expression.items()
        if function in ("Condition", "Fn::Condition"):  # the short form !Condition loads as Fn::Condition
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.value(a) for a in argument)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in argument)
        if function == "Fn::Or":
            return any(self._truth(a) for a in argument)
        raise NotImplementedError(function)

    # --- values -----------------------------------------------------------------------------

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (function, argument), *_ = node.items()
            if function == "Ref":
                return NO_VALUE if argument == "AWS::NoValue" else self._ref(argument)
            if function == "Fn::If":
                name, when_true, when_false = argument
                return self.value(when_true if self.condition(name) else when_false)
            if function == "Fn::Sub":
                return self._sub(argument)
            if function == "Fn::GetAtt":
                return self._getatt(*argument)
            if function == "Fn::Select":
                index, items = argument
                return self.value(items)[int(self.value(index))]
            if function == "Fn::Split":
                separator, text = argument
                return str(self.value(text)).split(separator)
            if function == "Fn::Join":
                separator, items = argument
                return separator.join(str(i) for i in self.value(items))
        resolved = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> str:
        if name in self.refs:
            return self.refs[name]
        resource = self.template["Resources"][name]
        if resource["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{name}"
        return name

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {k: self.value(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name:
                return str(self._getatt(*name.split(".", 1)))
            return str(self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def _getatt(self, logical_id: str, attribute: str) -> str:
        at = f"{self.region}:{self.account_id}"
        if logical_id not in self.template["Resources"]:  # the rule SAM makes for a function's Schedule event
            return f"arn:aws:events:{at}:rule/{logical_id}"
        resource = self.template["Resources"][logical_id]
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            return logical_id if attribute == "QueueName" else f"arn:aws:sqs:{at}:{logical_id}"
        if kind == "AWS::Logs::LogGroup":
            return f"arn:aws:logs:{at}:log-group:{logical_id}:*"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{at}:table/{logical_id}"
        if kind == "AWS::Events::Rule":
            return f"arn:aws:events:{at}:rule/{logical_id}"
        if kind == "AWS::IAM::Role":
            properties = resource["Properties"]
            name = self.value(properties.get("RoleName", logical_id))
            return f"arn:aws:iam::{self.account_id}:role{properties.get('Path', '/')}{name}"
        if kind == "AWS::Lambda::CodeSigningConfig":
            return f"arn:aws:lambda:{at}:code-signing-config:csc-{logical_id}"
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{at}:function:{logical_id}"
        raise NotImplementedError(f"{kind}.{attribute}")

    # --- IAM ----------------------------------------------------------------------------------

    def role_policies(self, logical_id: str) -> list[dict[str, Any]]:
        """The inline policy documents of a role, as deployed."""
        return [
            self.value(p["PolicyDocument"]) for p in self.template["Resources"][logical_id]["Properties"]["Policies"]
        ]

    def role_arn(self, logical_id: str) -> str:
        return self._getatt(logical_id, "Arn")
