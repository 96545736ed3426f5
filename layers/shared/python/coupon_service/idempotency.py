"""Run an operation once per (caller, Idempotency-Key) with Powertools' idempotency utility."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel

from coupon_service.aws import dynamodb_config
from coupon_service.errors import Conflict, Invalid
from coupon_service.privacy import keyed_hash
from coupon_service.secret import hmac_key
from coupon_service.settings import settings
from coupon_service.store.table import busy, with_retries

M = TypeVar("M", bound=BaseModel)


class _Persistence(DynamoDBPersistenceLayer):
    """Powertools' idempotency records, retried as the store retries: against the invocation's deadline."""

    def _get_record(self, idempotency_key: str) -> DataRecord:
        return with_retries(lambda: super(_Persistence, self)._get_record(idempotency_key))

    def _put_record(self, data_record: DataRecord) -> None:
        with_retries(lambda: super(_Persistence, self)._put_record(data_record))

    def _update_record(self, data_record: DataRecord) -> None:
        with_retries(lambda: super(_Persistence, self)._update_record(data_record))

    def _delete_record(self, data_record: DataRecord) -> None:
        with_retries(lambda: super(_Persistence, self)._delete_record(data_record))


@cache
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return _Persistence(table_name=table_name, boto_config=dynamodb_config())


_CONFIG = IdempotencyConfig(
    event_key_jmespath="[scope, key]",
    payload_validation_jmespath="payload",
    expires_after_seconds=24 * 3600,
    hash_function="sha256",
)


def register_context(context: Any) -> None:
    """Lets an in-progress record expire with the invocation, so a crashed run does not block retries."""
    _CONFIG.register_lambda_context(context)


def run_once(
    scope: str, key: str | None, payload: BaseModel, operation: Callable[[], M], output: type[M]
) -> M:
    """Without a key, just run; with one, a retry returns the first result, a different payload is a 422."""
    if key is None:
        return operation()

    def once(request: dict[str, Any]) -> M:
        return operation()

    once.__annotations__["return"] = output
    wrapped = idempotent_function(
        once,
        data_keyword_argument="request",
        persistence_store=_persistence(settings().idempotency_table_name),
        config=_CONFIG,
        output_serializer=PydanticSerializer,
    )
    # Powertools keeps a plain SHA-256 of the payload to tell another request under the same key: over a
    # body holding a store's 6-digit code, anyone reading the table could try every code. Keyed first.
    body = json.dumps(payload.model_dump(mode="json"), sort_keys=True)
    request = {"scope": scope, "key": key, "payload": keyed_hash(hmac_key(), "idempotency-payload", body)}
    try:
        result: M = wrapped(request=request)  # once's result, or the first run's as `output` deserialises it
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict(
            "a request with this Idempotency-Key is still in progress",
            code="in_progress",
            field="Idempotency-Key",
            retry_after=1,
        ) from error
    except IdempotencyValidationError as error:
        raise Invalid(
            "this Idempotency-Key was used with a different request", field="Idempotency-Key"
        ) from error
    except IdempotencyPersistenceLayerError as error:
        # The idempotency table throttled or failed: the caller may retry with the same key.
        raise busy() from error
    return result
