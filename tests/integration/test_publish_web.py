"""deploy/publish_web.py: the built app and its config land in the web bucket with the right headers."""

from __future__ import annotations

import json

from deploy.publish_web import app_config, publish
from devstack.provision import client


def test_the_build_and_its_config_are_published_with_their_caching(emulator, tmp_path):
    # Given a build (an index and a hashed asset) and the stack's outputs
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><script src='/assets/index-abc.js'></script>")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log(1)")
    s3 = client("s3", emulator.url)
    s3.create_bucket(Bucket="web-test")
    outputs = {"SignInDomain": "https://coupons-x.auth.us-east-1.amazoncognito.com", "UserPoolClientId": "c1"}
    parameters = {"PublicBaseUrl": "https://api.example.com/v1/", "PublicWebUrl": "https://shop.example.com"}

    # When it is published
    keys = publish(s3, "web-test", app_config(outputs, parameters), dist=tmp_path)

    # Then the asset goes first, the page after it, the config last; assets are cached for good, the rest not
    assert keys == ["assets/index-abc.js", "index.html", "config.json"]
    asset = s3.get_object(Bucket="web-test", Key="assets/index-abc.js")
    page = s3.get_object(Bucket="web-test", Key="index.html")
    config = s3.get_object(Bucket="web-test", Key="config.json")
    assert asset["CacheControl"] == "public, max-age=31536000, immutable"
    assert asset["ContentType"] == "text/javascript"
    assert page["CacheControl"] == "no-cache" and page["ContentType"] == "text/html"
    # And the deployed app signs in with Cognito only, calling the API's public URL
    assert json.loads(config["Body"].read()) == {
        "apiUrl": "https://api.example.com/v1",
        "localSignIn": False,
        "cognito": {"domain": outputs["SignInDomain"], "clientId": "c1"},
    }
