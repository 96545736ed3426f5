"""The API answers the web app's origin across origins (the deployed app calls the API's own domain), and
no other site: the functions' answers, refusals included, carry only the configured origin."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service.errors import Invalid
from coupon_service.rest import make_resolver

from devstack.apigw import rest_event

SITE = "https://shop.example.com"


class _Context(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _answer(app, path: str, origin: str) -> dict:
    event = rest_event("GET", path, path, headers={"Origin": origin})
    return app.resolve(event, _Context())


def _app():
    app = make_resolver()

    @app.get("/ok")
    def ok() -> dict:
        return {"ok": True}

    @app.get("/refused")
    def refused() -> dict:
        raise Invalid("limit: must be 1 to 100", field="limit")

    return app


def test_the_web_apps_origin_reads_answers_and_refusals(monkeypatch):
    # Given the stack's web origin configured
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", SITE + "/")
    app = _app()
    # When the web app calls, and is refused
    for path, status in (("/ok", 200), ("/refused", 422)):
        answer = _answer(app, path, SITE)
        headers = {
            **answer.get("headers", {}),
            **{k: v[-1] for k, v in answer.get("multiValueHeaders", {}).items()},
        }
        # Then both answers name that origin and expose Retry-After, with no credentials mode
        assert answer["statusCode"] == status
        assert headers["Access-Control-Allow-Origin"] == SITE
        assert "Retry-After" in headers["Access-Control-Expose-Headers"]
        assert "Access-Control-Allow-Credentials" not in headers


@pytest.mark.parametrize("configured", ["", SITE])
def test_another_site_gets_no_cors_header(monkeypatch, configured):
    # Given no origin configured, or the web app's
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", configured)
    answer = _answer(_app(), "/ok", "https://evil.example")
    headers = {
        **answer.get("headers", {}),
        **{k: v[-1] for k, v in answer.get("multiValueHeaders", {}).items()},
    }
    # Then a page of another site cannot read the answer
    assert answer["statusCode"] == 200
    assert "Access-Control-Allow-Origin" not in headers


def test_a_body_refused_before_routing_is_readable_by_the_web_app_only(monkeypatch):
    # Given the web origin configured, and a body that is not JSON (refused before Powertools reads it)
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", SITE)
    app = _app()
    for origin, readable in ((SITE, True), ("https://evil.example", False)):
        event = rest_event(
            "GET", "/ok", "/ok", headers={"Origin": origin, "Content-Type": "text/plain"}, body="x"
        )
        answer = app.resolve(event, _Context())
        # Then the 415 names the web origin for the web app, and nothing for another site
        assert answer["statusCode"] == 415
        assert (answer["headers"].get("Access-Control-Allow-Origin") == SITE) is readable
