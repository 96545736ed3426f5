"""Invocations of one function in threads of one process each read their own request: Powertools keeps
the request on a class, and the tests (and the local stack's callers) invoke handlers from many threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.typing import LambdaContext
from coupon_service.rest import make_resolver

from devstack.apigw import rest_event


class _Context(LambdaContext):
    def __init__(self, remaining: int) -> None:
        self.remaining = remaining

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining


def test_each_thread_reads_its_own_request_context_and_deadline():
    app = make_resolver()
    both_inside = threading.Barrier(8, timeout=10)

    @app.get("/echo/<name>")
    def echo(name: str) -> dict:
        app.append_context(name=name)
        both_inside.wait()  # every request is inside its handler at once, after each set its own state
        return {
            "path_name": name,
            "event_path": app.current_event.path,
            "context_name": app.context.get("name"),
            "deadline": app.lambda_context.get_remaining_time_in_millis(),
        }

    def call(index: int) -> dict:
        event = rest_event("GET", "/echo/{name}", f"/echo/n{index}", path_parameters={"name": f"n{index}"})
        answer = app.resolve(event, _Context(1000 + index))
        assert answer["statusCode"] == 200, answer
        import json

        return json.loads(answer["body"])

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(call, range(8)))

    assert answers == [
        {"path_name": f"n{i}", "event_path": f"/echo/n{i}", "context_name": f"n{i}", "deadline": 1000 + i}
        for i in range(8)
    ]
