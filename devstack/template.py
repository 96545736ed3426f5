"""Read template.yaml: its resources, functions, routes and environments, so nothing is defined twice."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags turned into their long form (!Ref x -> {'Ref': 'x'})."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(cast("yaml.MappingNode", node), deep=True)  # the one kind left
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    return loaded


def resources(kind: str, path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in load(path)["Resources"].items() if r.get("Type") == kind}


def table_definitions(path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """CreateTable arguments for every AWS::DynamoDB::Table, taken from its template properties."""
    definitions = {}
    for name, resource in resources("AWS::DynamoDB::Table", path).items():
        props = resource["Properties"]
        request: dict[str, Any] = {
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = [
                {k: v for k, v in index.items() if k in {"IndexName", "KeySchema", "Projection"}}
                for index in props["GlobalSecondaryIndexes"]
            ]
        if props.get("StreamSpecification"):
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }
        ttl = props.get("TimeToLiveSpecification")
        definitions[name] = {"create": request, "ttl_attribute": ttl and ttl.get("AttributeName")}
    return definitions
