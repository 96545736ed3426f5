"""API Gateway REST proxy events, as the real integration sends them to a function."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.parse import parse_qsl

from devstack.template import load


def rest_event(
    method: str,
    resource: str,
    path: str,
    *,
    path_parameters: dict[str, str] | None = None,
    query: str | dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | str | dict[str, Any] | None = None,
    claims: dict[str, str] | None = None,
    stage: str = "v1",
) -> dict[str, Any]:
    if isinstance(body, dict):
        body = json.dumps(body)
    is_base64 = False
    if isinstance(body, bytes):
        raw = body
        try:
            body = raw.decode()
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(raw).decode(), True
    if isinstance(query, str):
        pairs = parse_qsl(query, keep_blank_values=True)
    else:
        pairs = list((query or {}).items())
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    headers = {"Host": "localhost", "Content-Type": "application/json", **(headers or {})}
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "domainName": headers.get("Host", "localhost"),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            "authorizer": {"claims": claims} if claims else None,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def routes() -> list[dict[str, Any]]:
    """Every Api event in the template: function, method, resource path, and whether it is public."""
    found = []
    for name, resource in load()["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        for event in (props.get("Events") or {}).values():
            if event.get("Type") != "Api":
                continue
            auth = (event["Properties"].get("Auth") or {}).get("Authorizer")
            found.append(
                {
                    "function": name,
                    "code": props["CodeUri"].rstrip("/").split("/")[-1],
                    "method": event["Properties"]["Method"].upper(),
                    "path": event["Properties"]["Path"],
                    "public": auth == "NONE",
                }
            )
    return found


def _pattern(path: str) -> str:
    import re

    return "^" + re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$"


def match(method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The template route serving (method, path) and its path parameters; literal segments win."""
    import re

    candidates = []
    for route in routes():
        if route["method"] != method.upper():
            continue
        found = re.match(_pattern(route["path"]), path)
        if found:
            candidates.append((route["path"].count("{"), route, found.groupdict()))
    if not candidates:
        return None
    _, route, params = min(candidates, key=lambda c: c[0])
    return route, params
