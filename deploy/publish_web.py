"""`make deploy`'s last step: the built web app (web/dist) into the stack's web bucket, with /config.json.

    python -m deploy.publish_web STACK_NAME

Reads the stack's outputs and parameters: the bucket, the API's public URL (PublicBaseUrl: the pages call
it across origins; its CORS allows PublicWebUrl), Cognito's hosted sign-in domain and the app client.
Built assets (names carry a hash of their content) are cached for a year; index.html and config.json are
revalidated, so a new build is seen at once. Assets of older builds stay for pages still open.
"""

from __future__ import annotations

import json
import mimetypes
import sys
from pathlib import Path
from typing import Any

import boto3

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def app_config(outputs: dict[str, str], parameters: dict[str, str]) -> dict[str, Any]:
    """What the app reads at start: where the API is and how callers sign in (never a local sign-in)."""
    return {
        "apiUrl": parameters["PublicBaseUrl"].rstrip("/"),
        "localSignIn": False,
        "cognito": {"domain": outputs["SignInDomain"], "clientId": outputs["UserPoolClientId"]},
    }


def publish(s3: Any, bucket: str, config: dict[str, Any], dist: Path = DIST) -> list[str]:
    """Uploads every built file, assets first and index.html last (a page never names an asset not yet
    there), then config.json. Returns the keys written."""
    if not (dist / "index.html").is_file():
        raise SystemExit(f"{dist}/index.html is missing: run `make web` first")
    files = sorted((p for p in dist.rglob("*") if p.is_file()), key=lambda p: p.name == "index.html")
    written = []
    for path in files:
        key = path.relative_to(dist).as_posix()
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        cache = IMMUTABLE if key.startswith("assets/") else REVALIDATE
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=kind, CacheControl=cache)
        written.append(key)
    body = json.dumps(config).encode()
    s3.put_object(
        Bucket=bucket, Key="config.json", Body=body, ContentType="application/json", CacheControl=REVALIDATE
    )
    return [*written, "config.json"]


def main(stack_name: str) -> None:
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])}
    keys = publish(boto3.client("s3"), outputs["WebBucketName"], app_config(outputs, parameters))
    bucket, site = outputs["WebBucketName"], parameters["PublicWebUrl"]
    print(f"{len(keys)} files in s3://{bucket}; the console: {site}/console/, the customer pages: {site}/c/")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m deploy.publish_web STACK_NAME")
    main(sys.argv[1])
