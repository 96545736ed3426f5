"""The holders queue's records: Powertools' SQS record whose body is the bus's envelope of a
`CouponChanged` event (a rule sends edits that lengthen a validity there)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import Json

from coupon_service.models.common import DEFERRED
from coupon_service.models.events import CouponChanged


class ChangedEnvelope(EventBridgeModel):
    model_config = DEFERRED

    detail: CouponChanged


class HoldersRecord(SqsRecordModel):
    """A record of the holders queue, its body the bus's event parsed."""

    model_config = DEFERRED

    body: Json[ChangedEnvelope]
