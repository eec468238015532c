"""ARNs in this stack's account and Region, how cdk-nag names a wildcard finding on them, and acknowledgments
written as both cdk-nag 3 (``Validations``) and cdk-nag 2 (``cdk_nag`` resource metadata) read them.

cdk-nag 3 reports one finding per wildcard resource, named after the resource as the template holds
it: a pseudo parameter such as ``{"Ref": "AWS::Region"}`` is printed ``<AWS::Region>``, a literal as
itself. Acknowledgments only match the exact ID, so `StackArn` keeps both forms of one ARN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from .per_stack import StackFacts
from .validation import is_unresolved

COMPLIANCE_PACKS = ("HIPAA.Security", "NIST.800.53.R5")
# What cdk-nag reports on an aws-cdk-lib deploy-time function it owns (BucketDeployment, AwsCustomResource).
DEPLOY_TIME_FUNCTION_RULES = {
    "AWS::Lambda::Function": [
        "AwsSolutions-L1",
        *(
            f"{pack}-{rule}"
            for pack in COMPLIANCE_PACKS
            for rule in ("LambdaConcurrency", "LambdaDLQ", "LambdaInsideVPC")
        ),
    ],
    "AWS::IAM::Policy": [f"{pack}-IAMNoInlinePolicy" for pack in COMPLIANCE_PACKS],
    "AWS::Logs::LogGroup": [f"{pack}-CloudWatchLogGroupEncrypted" for pack in COMPLIANCE_PACKS],
}
IAM_WILDCARD_RULE = "AwsSolutions-IAM5"
NAG_2_METADATA = "cdk_nag"  # the resource metadata key cdk-nag 2 reads suppressions from
MIN_REASON_CHARS = 10  # cdk-nag 2 refuses shorter reasons
AWS_MANAGED_POLICY_RULE = "AwsSolutions-IAM4"


@dataclass(frozen=True)
class StackArn:
    """One ARN: ``arn`` for the template, ``shown`` as cdk-nag prints it."""

    arn: str
    shown: str

    @property
    def wildcard_finding(self) -> str:
        """The ID of cdk-nag's IAM5 finding for this ARN as a policy resource."""
        return wildcard_finding(self.shown)

    def with_suffix(self, suffix: str) -> StackArn:
        """This ARN with ``suffix`` appended, e.g. ``:log-stream:*``."""
        return StackArn(arn=self.arn + suffix, shown=self.shown + suffix)


def stack_arn(facts: StackFacts, service: str, resource: str) -> StackArn:
    """``arn:<partition>:<service>:<region>:<account>:<resource>`` in the stack ``facts`` describe."""
    values = {"partition": facts.partition, "region": facts.region, "account": facts.account}
    prefix = f"arn:{{partition}}:{service}:{{region}}:{{account}}:"  # the resource may hold a token's braces
    return StackArn(arn=prefix.format(**values) + resource, shown=prefix.format(**facts.shown) + resource)


def collapsed(arns: list[StackArn], max_listed: int) -> list[StackArn]:
    """``arns`` with each kind (the path before the last ``/``) of more than ``max_listed`` literal names replaced
    by one ARN ending in their common prefix and ``*``, in the place of the kind's first (keeps a policy within
    IAM's size quota when a role serves many endpoints)."""
    kinds: dict[str, list[StackArn]] = {}
    for arn in arns:
        if not is_unresolved(arn.arn.rsplit("/", 1)[1]):
            kinds.setdefault(arn.arn.rsplit("/", 1)[0], []).append(arn)
    result: list[StackArn] = []
    for arn in arns:
        kind = kinds.get(arn.arn.rsplit("/", 1)[0], [])
        if len(kind) <= max_listed or arn not in kind:
            result.append(arn)
        elif arn is kind[0]:
            names = [member.arn.rsplit("/", 1)[1] for member in kind]
            prefix = names[0]
            while not all(name.startswith(prefix) for name in names):
                prefix = prefix[:-1]
            path, shown_path = arn.arn.rsplit("/", 1)[0], arn.shown.rsplit("/", 1)[0]
            result.append(StackArn(arn=f"{path}/{prefix}*", shown=f"{shown_path}/{prefix}*"))
    return result


def wildcard_finding(shown_resource: str) -> str:
    """The ID of cdk-nag's IAM5 finding for a wildcard resource as cdk-nag prints it (e.g. ``*``)."""
    return f"{IAM_WILDCARD_RULE}[Resource::{shown_resource}]"


def managed_policy_finding(shown_policy_arn: str) -> str:
    """The ID of cdk-nag's IAM4 finding for an AWS managed policy attached to a role, as cdk-nag prints its ARN."""
    return f"{AWS_MANAGED_POLICY_RULE}[Policy::{shown_policy_arn}]"


def shown(resolved: Any) -> str:
    """A resolved template value as cdk-nag prints it (its ``flattenCfnReference``): ``{"Fn::GetAtt": [id, "Arn"]}``
    -> ``<id.Arn>``, ``${AWS::Region}`` in a string or ``Fn::Sub`` -> ``<AWS::Region>``."""
    if resolved is None:
        return ""
    if isinstance(resolved, str):
        return resolved.replace("${", "<").replace("}", ">")
    if isinstance(resolved, dict):
        if "Fn::Join" in resolved:
            separator, parts = resolved["Fn::Join"]
            return str(separator).join(shown(part) for part in parts)
        if "Fn::Sub" in resolved:
            return shown(resolved["Fn::Sub"])
        if "Fn::GetAtt" in resolved:
            resource, attribute = resolved["Fn::GetAtt"]
            return f"<{shown(resource)}.{shown(attribute)}>"
        if "Fn::ImportValue" in resolved:
            return shown(resolved["Fn::ImportValue"])
        if "Ref" in resolved:
            return f"<{shown(resolved['Ref'])}>"
    return json.dumps(resolved, separators=(",", ":"))


def wildcard_findings(policy: CfnResource, document: Any) -> list[str]:
    """cdk-nag's IAM5 finding IDs for the wildcard resources of ``document`` (a policy of ``policy``'s stack)."""
    resolved = Stack.of(policy).resolve(document)
    resources = [
        resource
        for statement in resolved["Statement"]
        for resource in _as_list(statement.get("Resource", []))
        if "*" in json.dumps(resource)
    ]
    return sorted({wildcard_finding(shown(resource)) for resource in resources})


def action_wildcard_findings(policy: CfnResource, document: Any) -> list[str]:
    """cdk-nag's IAM5 finding IDs for the wildcard actions (``s3:GetObject*``) of ``document``."""
    resolved = Stack.of(policy).resolve(document)
    actions = [action for statement in resolved["Statement"] for action in _as_list(statement.get("Action", []))]
    return sorted({f"{IAM_WILDCARD_RULE}[Action::{action}]" for action in actions if "*" in action})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def deploy_time_function_reasons(construct: str, *, runs: str, calls: str, wildcards: str, logs: str) -> dict[str, str]:
    """Why each of `DEPLOY_TIME_FUNCTION_RULES` (and IAM4/IAM5) does not apply to aws-cdk-lib's ``construct``
    function: it ``runs`` (when), ``calls`` (which APIs), needs ``wildcards`` (why), and its logs hold ``logs``."""
    return {
        "AwsSolutions-IAM4": f"aws-cdk-lib's {construct} function role uses AWSLambdaBasicExecutionRole, which only "
        "lets it write its logs",
        "AwsSolutions-IAM5": wildcards,
        "AwsSolutions-L1": f"the {construct} function's runtime is chosen by aws-cdk-lib, which updates it",
        "IAMNoInlinePolicy": f"aws-cdk-lib's {construct} grants its function through an inline policy it manages",
        "LambdaConcurrency": f"a deploy-time function runs {runs}; reserved concurrency would take capacity from the "
        "account's unreserved pool",
        "LambdaDLQ": "CloudFormation invokes the function synchronously through its custom resource and reports its "
        "failures; a dead-letter queue only receives failed asynchronous invocations",
        "LambdaInsideVPC": f"the function only calls {calls} during deploys",
        "CloudWatchLogGroupEncrypted": f"the function's logs hold {logs}, all already in the template; CloudWatch Logs "
        "encrypts them at rest with its own keys",
    }


def acknowledge_findings(
    scope: IConstruct, rules_by_type: Mapping[str, Sequence[str]], reasons: Mapping[str, str]
) -> None:
    """Acknowledge, resource by resource under ``scope``, the findings that do not apply.

    ``rules_by_type`` lists the finding IDs per CloudFormation type; wildcard (IAM5) and managed-policy
    (IAM4) findings are named after the resources they hold, so their IDs are read from the resolved
    template values. ``reasons`` is keyed by finding ID, rule ID (``AwsSolutions-IAM5``) or the rule
    without its pack (``LambdaDLQ``), most specific first. Call it once the policies hold all statements.
    """
    stack = Stack.of(scope)
    for child in scope.node.find_all():
        if not isinstance(child, CfnResource):
            continue
        findings = list(rules_by_type.get(child.cfn_resource_type, []))
        if isinstance(child, iam.CfnPolicy):
            findings += wildcard_findings(child, child.policy_document)
            findings += action_wildcard_findings(child, child.policy_document)
        if isinstance(child, iam.CfnRole):
            managed = stack.resolve(child.managed_policy_arns) or []
            findings += [managed_policy_finding(shown(arn)) for arn in managed]
        if findings:
            acknowledge_nag_findings(child, {finding: _reason(reasons, finding) for finding in findings})


def acknowledge_nag_findings(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledge cdk-nag findings on ``construct`` (a resource, or a construct whose default child is one), each
    finding ID (e.g. ``AwsSolutions-IAM5[Resource::*]``) with its reason, in both forms cdk-nag reads: cdk-nag 3's
    ``Validations`` acknowledgments and cdk-nag 2's ``cdk_nag.rules_to_suppress`` metadata on the resource.
    Each reason says why the finding does not apply there, in at least 10 characters (cdk-nag 2 requires them)."""
    _check_acknowledgments(construct, reasons)
    Validations.of(construct).acknowledge(*(Acknowledgment(id=finding, reason=why) for finding, why in reasons.items()))
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    if not isinstance(resource, CfnResource):
        return
    earlier = resource.get_metadata(NAG_2_METADATA) or {}
    suppressions: list[dict[str, Any]] = list(earlier.get("rules_to_suppress", []))
    for finding, reason in reasons.items():
        rule, _, granular = finding.partition("[")
        if not granular:  # the whole rule on this resource
            if not any(item["id"] == rule and "applies_to" not in item for item in suppressions):
                suppressions.append({"id": rule, "reason": reason})
            continue
        target = granular[:-1]  # e.g. Resource::*
        if any(item["id"] == rule and target in item.get("applies_to", []) for item in suppressions):
            continue
        same = next((item for item in suppressions if (item["id"], item["reason"]) == (rule, reason)), None)
        if same is not None and "applies_to" in same:
            same["applies_to"].append(target)
        else:
            suppressions.append({"id": rule, "reason": reason, "applies_to": [target]})
    resource.add_metadata(NAG_2_METADATA, {"rules_to_suppress": suppressions})


def _check_acknowledgments(construct: object, reasons: object) -> None:
    from . import rules, validation
    from .errors import Problems, ValidationError

    problems = Problems()
    validation.check_interface(problems, "construct", construct, "IConstruct", "node", "a resource or construct")
    if validation.check_type(problems, "reasons", reasons, Mapping, "{'AwsSolutions-IAM5[Resource::*]': 'why'}"):
        for finding, reason in cast(Mapping[object, object], reasons).items():
            validation.check_type(problems, "reasons key", finding, str, "a finding ID such as 'AwsSolutions-S1'")
            typed = validation.check_type(problems, f"reasons[{finding!r}]", reason, str, "why, as a sentence")
            if typed and len(str(reason).strip()) < MIN_REASON_CHARS:
                problems.add(
                    rules.NAG_REASON,
                    f"reasons[{finding!r}]",
                    reason,
                    f"at least {MIN_REASON_CHARS} characters",
                    "say why the finding does not apply to this resource",
                )
    if problems.items:
        raise ValidationError("acknowledge_nag_findings", problems.items)


def _reason(reasons: Mapping[str, str], finding: str) -> str:
    rule = finding.split("[")[0]
    return reasons.get(finding) or reasons.get(rule) or reasons[rule.split("-", 1)[1]]
