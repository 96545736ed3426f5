"""Test harness: a serialized emulator per session, fresh tables per test, API events, identities, threads."""

from __future__ import annotations

import gc
import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from coupon_service.clock import ManualClock
from hypothesis import settings

from devstack import provision as provisioning
from devstack.emulator import CLIENT_ENVIRONMENT, Emulator
from devstack.metering import ItemsRead, RequestCounter
from tests.support import invocations_carry

# Property tests check properties, not speed: on two busy cores an example may take over hypothesis'
# default 200 ms deadline, which would fail a correct property.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

os.environ.update(
    {
        "AWS_DEFAULT_REGION": provisioning.REGION,
        "AWS_REGION": provisioning.REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Coupons",
        "POWERTOOLS_SERVICE_NAME": "tests",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_DEV": "false",
        "POWERTOOLS_METRICS_DISABLED": "true",
        **CLIENT_ENVIRONMENT,
    }
)
os.environ.pop("AWS_PROFILE", None)
logging.getLogger("werkzeug").setLevel(logging.WARNING)


# A test process holds a large, long-lived heap (moto, botocore's models, the emulated tables), and
# Python's default collector thresholds scan it whole again and again: ~30% of a long test's CPU.
# Collections stay on, just rarer; what the imports made is frozen out of them (`tune_gc`).
GC_THRESHOLDS = (50_000, 20, 20)


def tune_gc() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


gc.set_threshold(*GC_THRESHOLDS)  # already while the test modules (moto, boto3, the layer) are imported


def pytest_sessionfinish(session: pytest.Session) -> None:
    """pytest collects garbage five times at exit to report unraisable exceptions: one full collection
    (while its hook still listens) is that report; then the surviving heap is frozen out of the rest."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    server = Emulator().start()
    tune_gc()
    os.environ["AWS_ENDPOINT_URL"] = server.url
    yield server
    server.stop()


def _reset_process_caches() -> None:
    from aws_lambda_powertools.utilities import parameters
    from coupon_service import aws, claims, idempotency, settings

    settings.settings.cache_clear()
    claims.cache.clear()
    idempotency._persistence.cache_clear()
    parameters.clear_caches()
    aws.reset_clients()


@pytest.fixture
def stack(emulator: Emulator) -> Iterator[provisioning.Stack]:
    """Fresh tables, secret and bus for one test, named apart from every other test's."""
    created = provisioning.provision(emulator.url, f"t{uuid.uuid4().hex[:10]}")
    # The shared environment, and the web app's URL the functions that build customer links have.
    environment = created.environment()
    environment["PUBLIC_WEB_URL"] = created.environment("CouponsFunction")["PUBLIC_WEB_URL"]
    saved = {k: os.environ.get(k) for k in environment}
    os.environ.update(environment)
    os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ["LOG_LEVEL"] = "WARNING"
    _reset_process_caches()
    emulator.faults.set(0.0)
    yield created
    emulator.faults.set(0.0)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    provisioning.drop(created)
    _reset_process_caches()


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    """This test's clock: the system's until the test moves it (`set`, `advance`). The services a test
    builds take it (`Claims(clock=clock)`); the functions it calls (`support.call`, `support.invoke`) find
    it on their invocation's context, as the local stack's functions find the stack's."""
    manual = ManualClock()
    with invocations_carry(manual):
        yield manual


@pytest.fixture
def dynamodb_requests(stack: provisioning.Stack) -> RequestCounter:
    """The DynamoDB requests this test's process sends from here on, by operation (the stack's client)."""
    from coupon_service import aws

    return RequestCounter().attach(aws.client("dynamodb"))


@pytest.fixture
def dynamodb_items_read(stack: provisioning.Stack) -> ItemsRead:
    """The items DynamoDB reads for this test's process from here on (ScannedCount, items got)."""
    from coupon_service import aws

    return ItemsRead().attach(aws.client("dynamodb"))


SHARED_SCOPES = frozenset({"class", "module", "package"})


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`make test` hands the two workers one test at a time (`--dist loadgroup`), so the longest tests
    never queue behind each other on one worker while the other idles. Tests that share a fixture wider
    than a test but narrower than the session (a started local stack) form one group, run by one worker,
    so that fixture is still made once."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(defs[-1].scope in SHARED_SCOPES for defs in info.name2fixturedefs.values() if defs):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    # The long tests first (xdist hands tests out in this order): one started last would leave the other
    # worker idle while it runs. Long: the concurrency tests, those driving the emulator themselves
    # (faults, streams) and those marked slow; the order within each part stays the collection's.
    items.sort(key=lambda item: 0 if _long(item) else 1)


def _long(item: pytest.Item) -> bool:
    if item.get_closest_marker("xdist_group") is not None:
        return False  # a group's tests stay together, where the collection put them
    info = getattr(item, "_fixtureinfo", None)
    marked = any(item.get_closest_marker(name) is not None for name in ("concurrency", "slow"))
    return marked or (info is not None and "emulator" in info.argnames)
