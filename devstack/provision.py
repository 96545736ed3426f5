"""Create the template's tables, buckets, queues, secret and bus on the emulator, named with a prefix."""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import boto3

from devstack import template

REGION = "us-east-1"
ACCOUNT = "123456789012"
EVENT_SOURCE = "coupons"
# Values for the template's parameters that have no default, as `sam deploy` would be given them; the local
# stack puts its own gateway's URL in PublicBaseUrl and its origin (which serves /c/) in PublicWebUrl.
PARAMETERS = {"PublicBaseUrl": "http://localhost/v1", "PublicWebUrl": "http://localhost"}


@dataclass
class Stack:
    """One provisioned copy of the application's state: what each template resource is called here."""

    endpoint: str
    prefix: str
    refs: dict[str, str] = field(default_factory=dict)
    events_queue_url: str = ""
    parameters: dict[str, str] = field(default_factory=lambda: dict(PARAMETERS))

    @property
    def tables(self) -> dict[str, str]:
        return {k: v for k, v in self.refs.items() if k in template.resources("AWS::DynamoDB::Table")}

    @property
    def bus_name(self) -> str:
        return self.refs["CouponsBus"]

    def environment(self, function: str | None = None) -> dict[str, str]:
        """A function's environment from the template (Globals, then its own), with Refs resolved here."""
        loaded = template.load()
        variables = dict(
            loaded.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        )
        if function:
            props = loaded["Resources"][function]["Properties"]
            variables.update(props.get("Environment", {}).get("Variables", {}))
        return {name: str(self.resolve(value)) for name, value in variables.items()}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            if name in self.refs:
                return self.refs[name]
            if name in self.parameters:
                return self.parameters[name]
            parameter = template.load().get("Parameters", {}).get(name)
            if parameter is not None:
                return parameter.get("Default", "")
            return {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": self.prefix}.get(
                name, ""
            )
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return self.refs.get(f"{logical}.{attribute}", self.refs.get(logical, ""))
        return self._substituted(value)

    def _substituted(self, value: Any) -> Any:
        """`!Sub` of a string: "${Name}" and "${Name.Attribute}", as CloudFormation substitutes them."""
        if not (isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str)):
            return value
        return re.sub(
            r"\$\{([^}!]+)\}",
            lambda m: str(self.resolve({"Fn::GetAtt": m[1].split(".", 1)} if "." in m[1] else {"Ref": m[1]})),
            value["Fn::Sub"],
        )


_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def client(service: str, endpoint: str) -> Any:
    """One client per service and endpoint, made once: making one costs ~20 ms of CPU (the test harness
    provisions and drops a stack per test), and boto3's clients are safe to share between threads."""
    key = (service, endpoint)
    with _clients_lock:
        if key not in _clients:
            make: Any = boto3.session.Session().client  # any service by name: the stubs type each apart
            _clients[key] = make(
                service,
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106 - the emulator's fixed credentials
            )
        return _clients[key]


def provision(endpoint: str, prefix: str) -> Stack:
    stack = Stack(endpoint=endpoint, prefix=prefix)
    dynamodb = client("dynamodb", endpoint)
    for logical, definition in template.table_definitions().items():
        name = f"{prefix}-{logical}"
        created = dynamodb.create_table(TableName=name, **definition["create"])["TableDescription"]
        if definition["ttl_attribute"]:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": definition["ttl_attribute"]},
            )
        stack.refs[logical] = name
        stack.refs[f"{logical}.Arn"] = created["TableArn"]
        if created.get("LatestStreamArn"):
            stack.refs[f"{logical}.StreamArn"] = created["LatestStreamArn"]
    for logical in template.resources("AWS::SecretsManager::Secret"):
        secret = client("secretsmanager", endpoint).create_secret(
            Name=f"{prefix}-{logical}", SecretString=secrets.token_urlsafe(48)
        )
        stack.refs[logical] = secret["ARN"]
    s3 = client("s3", endpoint)
    for logical in template.resources("AWS::S3::Bucket"):
        name = f"{prefix}-{logical}".lower()
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        stack.refs[logical] = name
        stack.refs[f"{logical}.Arn"] = f"arn:aws:s3:::{name}"
    sqs = client("sqs", endpoint)
    for logical in template.resources("AWS::SQS::Queue"):
        url = sqs.create_queue(QueueName=f"{prefix}-{logical}")["QueueUrl"]
        stack.refs[logical] = url
        stack.refs[f"{logical}.Arn"] = _queue_arn(url)
    for logical, resource in template.resources("AWS::S3::Bucket").items():
        _notify(s3, stack, stack.refs[logical], resource["Properties"].get("NotificationConfiguration") or {})
    events = client("events", endpoint)
    for logical in template.resources("AWS::Events::EventBus"):
        name = f"{prefix}-{logical}"
        stack.refs[logical] = name
        stack.refs[f"{logical}.Arn"] = events.create_event_bus(Name=name)["EventBusArn"]
    # A catch-all rule into a queue, so developers and tests can read what was published.
    stack.events_queue_url = sqs.create_queue(QueueName=f"{prefix}-published")["QueueUrl"]
    events.put_rule(
        Name=f"{prefix}-all", EventBusName=stack.bus_name, EventPattern=json.dumps({"source": [EVENT_SOURCE]})
    )
    events.put_targets(
        Rule=f"{prefix}-all",
        EventBusName=stack.bus_name,
        Targets=[{"Id": "queue", "Arn": _queue_arn(stack.events_queue_url)}],
    )
    for logical, (pattern, queues) in _queue_rules(stack).items():
        events.put_rule(
            Name=f"{prefix}-{logical}", EventBusName=stack.bus_name, EventPattern=json.dumps(pattern)
        )
        events.put_targets(
            Rule=f"{prefix}-{logical}",
            EventBusName=stack.bus_name,
            Targets=[{"Id": f"queue{n}", "Arn": arn} for n, arn in enumerate(queues)],
        )
    return stack


def allow_browser_origin(stack: Stack, origin: str) -> None:
    """The buckets answer the pages' origin (CORS): the console posts an import file to the presigned form
    and reads a failed-codes file or an export straight from the bucket, as a deployed console does."""
    s3 = client("s3", stack.endpoint)
    host = urlsplit(origin)
    origins = [origin, f"{host.scheme}://localhost:{host.port}"] if host.hostname == "127.0.0.1" else [origin]
    rule = {
        "AllowedOrigins": origins,
        "AllowedMethods": ["GET", "HEAD", "POST"],
        "AllowedHeaders": ["*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 600,
    }
    for logical in template.resources("AWS::S3::Bucket"):
        s3.put_bucket_cors(Bucket=stack.refs[logical], CORSConfiguration={"CORSRules": [rule]})


def _queue_rules(stack: Stack) -> dict[str, tuple[dict[str, Any], list[str]]]:
    """The template's rules on the service's bus that send events to its queues (moto delivers them):
    each rule's pattern and its queues' ARNs. Rules with no queue target (a topic) are left out."""
    rules = {}
    queues_here = template.resources("AWS::SQS::Queue")
    for logical, resource in template.resources("AWS::Events::Rule").items():
        props = resource["Properties"]
        queues = [
            stack.resolve(target["Arn"])
            for target in props.get("Targets", [])
            if isinstance(target["Arn"], dict)
            and str(target["Arn"].get("Fn::GetAtt", [""])[0]) in queues_here
        ]
        if queues and props.get("EventBusName") == {"Ref": "CouponsBus"}:
            rules[logical] = (props["EventPattern"], queues)
    return rules


def _notify(s3: Any, stack: Stack, bucket: str, configuration: dict[str, Any]) -> None:
    """The bucket's queue notifications, as the template declares them (moto delivers them to SQS)."""
    queues = []
    for entry in configuration.get("QueueConfigurations", []):
        rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules", [])
        queue: dict[str, Any] = {"QueueArn": stack.resolve(entry["Queue"]), "Events": [entry["Event"]]}
        if rules:
            queue["Filter"] = {
                "Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
            }
        queues.append(queue)
    if queues:
        s3.put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queues}
        )


def _queue_arn(url: str) -> str:
    """The queue's ARN from its URL (`…/{account}/{name}`), as SQS makes both, without asking for every
    attribute of the queue (moto computes them all to answer one)."""
    account, name = url.rstrip("/").split("/")[-2:]
    return f"arn:aws:sqs:{REGION}:{account}:{name}"


def drop(stack: Stack) -> None:
    """Delete what holds data, so a long test session does not grow the emulator's memory: the tables, the
    secret, the buckets and their objects. The queues (drained by the test that used them, or holding a
    few messages), the bus and its rules stay: they are small, named apart per stack, and deleting them
    one by one would cost most of a test's setup."""
    dynamodb = client("dynamodb", stack.endpoint)
    for name in stack.tables.values():
        dynamodb.delete_table(TableName=name)
    secretsmanager = client("secretsmanager", stack.endpoint)
    for logical in template.resources("AWS::SecretsManager::Secret"):
        secretsmanager.delete_secret(SecretId=stack.refs[logical], ForceDeleteWithoutRecovery=True)
    s3 = client("s3", stack.endpoint)
    for logical in template.resources("AWS::S3::Bucket"):
        bucket = stack.refs[logical]
        versions = s3.list_object_versions(Bucket=bucket)
        for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        s3.delete_bucket(Bucket=bucket)
