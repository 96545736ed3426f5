"""Events a bus rule sends to a queue as EventBridge sends them: moto's default input template leaves out
the account, which EventBridge always sends and Powertools' `EventBridgeModel` requires."""

from __future__ import annotations

from moto.events.utils import EventTemplateParser

_WITH_ACCOUNT = '"version": "0", "account": "<account>", '


def install() -> None:
    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace('"version": "0", ', _WITH_ACCOUNT)
