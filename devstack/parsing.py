"""DynamoDB requests into moto at a fraction of its generic cost: the same parameters, the same checks.

Three costs moto pays on every DynamoDB request, none of which changes what it answers:
- Its generic JSON request parser walks the operation's input shape and, for every attribute value of
  every item, visits all ten members of `AttributeValue` through a `getattr` dispatch: about a third of
  the emulator's time when tests seed thousands of items. `_parse` walks the same shape doing what moto's
  `BaseJSONParser` does with each type (members by their wire names, JSON nulls left out, blobs and
  timestamps by moto's own parsers, numbers as int or float), with an attribute value's members taken
  from what it holds rather than from all ten.
- It parses an update expression twice per UpdateItem (once to list its placeholders, once to apply it),
  and again for each Update of a transaction. A parsed expression is never changed after parsing (the
  validator works on its own deep copy), so the same text's parse is kept (`_parsed`); a text that does
  not parse is parsed, and refused, every time.
- Its checks that an update expression has at most one SET, REMOVE and ADD clause, and that no two of
  its actions touch overlapping paths, run at every `UpdateExpression` node of the tree, each time
  searching the subtree below: quadratic in the actions. The root's search sees every clause and path
  any subtree holds, so checking at the root alone, without the walk, refuses exactly the same
  expressions (naming what the whole expression repeats, where a subtree's check named its part).
- Looking up an action's method lists the handler class's functions with `inspect` on each request;
  the list is the class's, computed once. Finding the backend for a request's host lists moto's package
  folder on disk (a few hundred `isdir` calls) each time; the answer for a host never changes, so it is
  kept per host. Turning an action's name into snake case (a dozen regular expressions, several times a
  request) is kept per name.

`DEVSTACK_CHECK_PARSER=1` parses every DynamoDB request both ways and fails on any difference (how this
was checked against the test suite); tests/integration/test_emulator_shortcuts.py checks both on
requests of every shape the service sends.
"""

from __future__ import annotations

import copy
import json
import os
from collections import OrderedDict
from functools import cache, lru_cache
from typing import Any

from botocore.model import Shape
from moto.core import responses as core_responses
from moto.core import utils as core_utils
from moto.core.parse import default_blob_parser, default_timestamp_parser
from moto.core.utils import get_service_model
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing import expressions, validators
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

CHECK = os.environ.get("DEVSTACK_CHECK_PARSER") == "1"
_moto_parse_parameters = DynamoHandler.parse_parameters
UpdateExpressionParser: Any = getattr(expressions, "UpdateExpressionParser")  # noqa: B009 - moto's parsing modules are untyped
_moto_make = UpdateExpressionParser.make.__func__
UpdateExpression: Any = getattr(validators, "UpdateExpression")  # noqa: B009 - untyped module
UpdateExpressionPath: Any = getattr(validators, "UpdateExpressionPath")  # noqa: B009
Node: Any = getattr(validators, "Node")  # noqa: B009
DepthFirstTraverser: Any = getattr(validators, "DepthFirstTraverser")  # noqa: B009
_no_hook = DepthFirstTraverser.pre_processing_of_child
_moto_parse_condition = ConditionExpressionParser.parse


def _body(raw: bytes | str) -> Any:
    """What moto's `_parse_body_as_json` makes of a body."""
    if not raw:
        return {}
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return {"message": text}


@cache
def _members(shape: Shape) -> tuple[tuple[str, str, Shape], ...]:
    return tuple(
        (name, member.serialization.get("name", name), member)
        for name, member in shape.members.items()  # type: ignore[attr-defined]
    )


_AS_SENT = frozenset({"S", "N", "BOOL", "NULL"})


def _attribute_value(value: Any, shape: Shape) -> Any:
    """An attribute value by what it holds; anything botocore would not send takes the general walk."""
    if type(value) is not dict or len(value) != 1:
        return _structure(value, shape)
    ((key, found),) = value.items()
    if key in _AS_SENT and found is not None:
        return {key: found}
    if key == "M" and type(found) is dict:
        return {key: {name: _attribute_value(v, shape) for name, v in found.items()}}
    if key == "L" and type(found) is list:
        return {key: [_attribute_value(v, shape) for v in found]}
    return _structure(value, shape)


def _structure(value: Any, shape: Shape) -> Any:
    if shape.is_document_type:  # type: ignore[attr-defined]
        return value
    if value is None:
        return None
    out = {}
    for name, wire, member in _members(shape):
        found = value.get(wire)
        if found is not None:
            out[name] = _parse(found, member)
    return out


def _struct(value: Any, shape: Shape) -> Any:
    if shape.name == "AttributeValue":
        return _attribute_value(value, shape)
    return _structure(value, shape)


def _list(value: Any, shape: Shape) -> Any:
    member = shape.member  # type: ignore[attr-defined]
    return [_parse(item, member) for item in value]


def _map(value: Any, shape: Shape) -> Any:
    key_shape, value_shape = shape.key, shape.value  # type: ignore[attr-defined]
    return {_parse(k, key_shape): _parse(v, value_shape) for k, v in value.items()}


_BY_KIND: dict[str, Any] = {
    "structure": _struct,
    "list": _list,
    "map": _map,
    "blob": lambda value, _: default_blob_parser(value),  # type: ignore[no-untyped-call]
    "timestamp": lambda value, _: default_timestamp_parser(value),
    **dict.fromkeys(("float", "double"), lambda value, _: float(value)),
    **dict.fromkeys(("integer", "long", "short", "byte"), lambda value, _: int(value)),
}


def _parse(value: Any, shape: Shape) -> Any:
    walker = _BY_KIND.get(shape.type_name)
    return value if walker is None else walker(value, shape)


def _parse_parameters(self: DynamoHandler, request: Any) -> None:
    if request.content_type and "json" not in request.content_type:
        _moto_parse_parameters(self, request)
        return
    operation = get_service_model(self.boto3_service_name).operation_model(self._get_action())
    shape = operation.input_shape
    self.params = {} if shape is None else _parse(_body(request.data), shape)
    if CHECK:
        fast = self.params
        _moto_parse_parameters(self, request)
        if fast != self.params:
            raise AssertionError(f"parsed apart from moto: {self._get_action()}")


@lru_cache(maxsize=1024)
def _parsed(expression: str) -> Any:
    return _moto_make(UpdateExpressionParser, expression)


def _make(cls: Any, expression: str) -> Any:
    return _parsed(expression)


def _at_root(validator: Any, check: str) -> Any:
    """`validator`'s whole walk only calls `check` at each `UpdateExpression` node (which changes nothing);
    the root's search covers every subtree."""
    walk = validator.traverse

    def traverse(self: Any, node: Any) -> Any:
        if not isinstance(node, UpdateExpression):
            return walk(self, node)
        return getattr(self, check)(node)

    return traverse


def _node_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
    """What `copy.deepcopy` makes of an expression's node (its `type`, `children` and `parent`, in that
    order, through the same memo), without the pickle protocol's walk: every update's validator copies
    its expression's tree."""
    new = object.__new__(type(self))
    memo[id(self)] = new
    for name, value in self.__dict__.items():
        if name == "children" and value is not None:
            value = [
                child if isinstance(child, str | int) else memo.get(id(child)) or copy.deepcopy(child, memo)
                for child in value
            ]
        elif value is not None and not isinstance(value, str):
            value = copy.deepcopy(value, memo)
        setattr(new, name, value)
    return new


_node_classes: dict[type, bool] = {}


def _is_node(kind: type) -> bool:
    found = _node_classes.get(kind)
    if found is None:
        found = _node_classes[kind] = issubclass(kind, Node)
    return found


def _depth_first(self: Any, root: Any) -> Any:
    """moto's `DepthFirstTraverser.traverse`: children first, each node then given to the first processor
    of `_processing_map` its class matches, the result put in its parent's place. The same walk, with
    the map read once per walk instead of twice per node and each class's processor looked up once
    (every processor's map is fixed: its keys are classes, its values bound methods)."""
    processors = tuple(self._processing_map().items())
    hook = self.pre_processing_of_child if type(self).pre_processing_of_child is not _no_hook else None
    chosen: dict[type, Any] = {}

    def walk(node: Any, child_id: int) -> Any:
        kind = type(node)
        if not _is_node(kind):
            return node
        parent = node.parent
        if node.children is not None:
            for i, child in enumerate(node.children):
                if hook is not None:
                    hook(node, i)
                walk(child, i)
        if kind not in chosen:
            chosen[kind] = next((process for base, process in processors if issubclass(kind, base)), None)
        process = chosen[kind]
        if process is not None:
            node = process(node)
            node.parent = parent
            if parent:
                parent.children[child_id] = node
        return node

    return walk(root, -1)


_conditions: OrderedDict[tuple[str, str, str], tuple[Any, tuple[str, ...], tuple[str, ...]]] = OrderedDict()
_CONDITIONS_KEPT = 512


def _parse_condition(self: Any) -> Any:
    """moto parses a request's condition up to three times (the handler's check of unused names, the
    transaction's check, the write's): the same expression with the same names and values gives the same
    operation tree, which evaluating never changes, so the last few hundred are kept. A parse that raises
    is not kept (the next one raises again)."""
    if not self.condition_expression:
        return _moto_parse_condition(self)
    key = (
        self.condition_expression,
        repr(self.expression_attribute_names),
        repr(self.expression_attribute_values),
    )
    kept = _conditions.get(key)
    if kept is None:
        operation = _moto_parse_condition(self)
        kept = (operation, tuple(self.expr_attr_names_found), tuple(self.expr_attr_values_found))
        _conditions[key] = kept
        if len(_conditions) > _CONDITIONS_KEPT:
            _conditions.popitem(last=False)
    else:
        self.expr_attr_names_found.extend(kept[1])
        self.expr_attr_values_found.extend(kept[2])
    return kept[0]


def _key_paths_only(self: Any, node: Any) -> Any:
    """UpdateHashRangeKeyValidator's walk: `check_for_hash_or_range_key` at every update path, children
    before their parent as moto's depth-first walk visits them, without its per-node dispatch."""
    if isinstance(node, Node):
        for child in node.children or ():
            _key_paths_only(self, child)
        if isinstance(node, UpdateExpressionPath):
            self.check_for_hash_or_range_key(node)
    return node


_method_names = cache(getattr(core_responses, "method_names_from_class"))  # noqa: B009
_snake_case = lru_cache(maxsize=4096)(core_utils.camelcase_to_underscores)
_moto_backend_for_host = DomainDispatcherApplication.get_backend_for_host
_backends: dict[str | None, Any] = {}


def _backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    if host not in _backends:
        _backends[host] = _moto_backend_for_host(self, host)
    return _backends[host]


_MOTO: dict[tuple[type, str], Any] = {}


def moto_original(owner: type, name: str) -> Any:
    """What moto itself has for `owner.name`, before `install` (for the test comparing both)."""
    return _MOTO[(owner, name)]


def _replace(owner: Any, name: str, value: Any) -> None:
    _MOTO.setdefault((owner, name), getattr(owner, name, None))
    setattr(owner, name, value)


def install() -> None:
    DynamoHandler.parse_parameters = _parse_parameters  # type: ignore[method-assign, assignment]
    UpdateExpressionParser.make = classmethod(_make)
    _replace(DepthFirstTraverser, "traverse", _depth_first)  # first: the root-only walks fall back to it
    for validator, check in (
        (validators.ActionCountValidator, "verify_action_counts"),
        (validators.OverlappingPathsValidator, "check_for_overlapping_paths"),
    ):
        _replace(validator, "traverse", _at_root(validator, check))
    _replace(validators.UpdateHashRangeKeyValidator, "traverse", _key_paths_only)
    _replace(Node, "__deepcopy__", _node_deepcopy)
    _replace(ConditionExpressionParser, "parse", _parse_condition)
    setattr(core_responses, "method_names_from_class", _method_names)  # noqa: B010 - not exported, typed
    for module in (core_responses, core_utils):
        setattr(module, "camelcase_to_underscores", _snake_case)  # noqa: B010
    DomainDispatcherApplication.get_backend_for_host = _backend_for_host  # type: ignore[method-assign]
