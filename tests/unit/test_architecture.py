"""The layer's design, held by its syntax trees: only the store speaks DynamoDB, key strings live in keys.py,
handlers import only the API, identity, models and services, no service imports another, and no module
reaches for another's private names.

Each test lists every violation as `path:line: what`, so a failure says where to look. The tables below
declare the design: extend them (a new service, a service split into modules) rather than the checks.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "python"
FUNCTIONS = ROOT / "functions"

# The services: the modules that carry out a use case for a caller. A module belongs to a service when its
# name is one of the service's modules or lies under one (a package). Split a service: add its modules here.
SERVICES: dict[str, tuple[str, ...]] = {
    "coupons": ("coupon_service.coupons", "coupon_service.edits"),
    "promotion": ("coupon_service.promotion",),
    "claims": ("coupon_service.claims",),
    "gifts": ("coupon_service.gifts",),
    "redemptions": ("coupon_service.redemptions",),
    "checkout": ("coupon_service.checkout",),
    "merchants": ("coupon_service.merchants",),
    "imports": ("coupon_service.imports",),
    "reminders": ("coupon_service.reminders",),
    "lookup budget": ("coupon_service.lookup_budget",),
    "outbox": ("coupon_service.outbox",),
    "holders": ("coupon_service.holders",),
    "stores": ("coupon_service.stores",),
    "voiding": ("coupon_service.voiding",),
    "stock": ("coupon_service.stock",),
    "figures": ("coupon_service.figures",),
    "records": ("coupon_service.records",),
    "orders feed": ("coupon_service.order_feed",),
    "exports": ("coupon_service.exports",),
    "grants": ("coupon_service.grants",),
    "issuance rules": ("coupon_service.issuance",),
    "customers": ("coupon_service.customers",),
    "shared codes": ("coupon_service.shared_codes",),
    "coupon center": ("coupon_service.offers",),
    "segments": ("coupon_service.segments",),
    "points": ("coupon_service.points",),
}
# Primitives of one service that the services built on them call: the claims service's issuing (the one way
# to give a customer a coupon as a claim makes it; grants, issuance rules) and the merchant's customer
# directory (issuance rules record what outside events tell and read birthdays).
PRIMITIVES = ("coupon_service.issuing", "coupon_service.customers")
# Beyond the services, what a handler (functions/<name>/app.py) may import of the layer and outside it.
HANDLER_LAYER_IMPORTS = ("coupon_service.api", "coupon_service.identity", "coupon_service.models")
HANDLER_OTHER_IMPORTS = ("aws_lambda_powertools",)  # the framework the API is written in; and the stdlib

STORE = "coupon_service.store"
KEYS = "coupon_service.keys"
# Words of a DynamoDB request: in a string, a keyword argument or a dict key, they belong in the store.
REQUEST_WORDS = ("ConditionExpression", "UpdateExpression", "KeyConditionExpression", "TransactItems")
TRANSACTION_OPERATIONS = frozenset({"Put", "Update", "Delete", "ConditionCheck"})
# A refused request is read where it is made: these names of the table plumbing stay in the store.
REFUSAL_NAMES = frozenset({"Cancelled", "code_at"})
GSI_ATTRIBUTE = re.compile(r"\bGSI\d+(PK|SK)\b")
GSI_INDEX = re.compile(r"GSI\d+")
KEY_ATTRIBUTE = re.compile(r"(PK|SK|GSI\d+(PK|SK))")
# Imports that speak DynamoDB (or read its refusals) outside the store.
DYNAMODB_IMPORTS = ("boto3.dynamodb", "mypy_boto3_dynamodb", "botocore.exceptions")
# The client factory configures the clients it makes: the one module beside the store that imports botocore.
CLIENT_FACTORY = "coupon_service.aws"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module

    @property
    def where(self) -> str:
        return str(self.path.relative_to(ROOT))

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]

    def within(self, prefix: str) -> bool:
        return self.name == prefix or self.name.startswith(prefix + ".")


def _parse(name: str, path: Path) -> Module:
    return Module(name, path, ast.parse(path.read_text(), filename=str(path)))


@cache
def layer_modules() -> tuple[Module, ...]:
    found = []
    for path in sorted((LAYER / "coupon_service").rglob("*.py")):
        parts = list(path.relative_to(LAYER).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(_parse(".".join(parts), path))
    return tuple(found)


@cache
def handler_modules() -> tuple[Module, ...]:
    return tuple(
        _parse(f"functions.{path.parent.name}.app", path) for path in sorted(FUNCTIONS.glob("*/app.py"))
    )


def shipped() -> tuple[Module, ...]:
    return layer_modules() + handler_modules()


@cache
def known_modules() -> frozenset[str]:
    return frozenset(m.name for m in shipped())


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def service_of(name: str) -> str | None:
    for service, prefixes in SERVICES.items():
        if any(_within(name, prefix) for prefix in prefixes):
            return service
    return None


# --- reading the trees -------------------------------------------------------------------------------


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _later(node: ast.AST) -> str | None:
    """The module a `later("...")` call names (coupon_service.later: imported by its first use), else None."""
    if not isinstance(node, ast.Call) or len(node.args) != 1 or not isinstance(node.args[0], ast.Constant):
        return None
    function = node.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return str(node.args[0].value) if name == "later" else None


def imports(module: Module) -> Iterator[tuple[int, str, str | None]]:
    """(line, module imported, name imported from it or None) for every import, however deep; a module
    named to `later` is imported too (by its first use)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                yield node.lineno, source, alias.name
        elif (named := _later(node)) is not None:
            yield node.lineno, named, None


def imported_modules(module: Module) -> Iterator[tuple[int, str]]:
    """(line, module) for every import; `from package import module` names the module."""
    for line, source, name in imports(module):
        if name is not None and f"{source}.{name}" in known_modules():
            yield line, f"{source}.{name}"
        else:
            yield line, source


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def strings(module: Module) -> Iterator[tuple[int, str]]:
    """(line, text) for every string literal but docstrings, f-strings' literal parts included."""
    skip = _docstrings(module.tree)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def names_used(module: Module) -> Iterator[tuple[int, str]]:
    """(line, name) for every keyword argument, dict key given as a literal, name and attribute."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.keyword) and node.arg:
            yield node.lineno, node.arg
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.lineno, key.value
        elif isinstance(node, ast.Name):
            yield node.lineno, node.id
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr


def _listed(violations: Iterable[str]) -> list[str]:
    """Each violation once, by file and line."""

    def place(violation: str) -> tuple[str, int, str]:
        path, line, _ = violation.split(":", 2)
        return path, int(line), violation

    return sorted(set(violations), key=place)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


# --- the rules ---------------------------------------------------------------------------------------


def requests_outside_the_store(modules: Iterable[Module] | None = None) -> list[str]:
    violations = []
    for module in modules or shipped():
        if module.within(STORE):
            continue
        for line, text in strings(module):
            violations += [
                f"{module.where}:{line}: {word} in a string" for word in REQUEST_WORDS if word in text
            ]
        for line, name in names_used(module):
            if name in REQUEST_WORDS:
                violations.append(f"{module.where}:{line}: {name}")
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Dict):
                operations = [
                    k.value
                    for k in node.keys
                    if isinstance(k, ast.Constant) and k.value in TRANSACTION_OPERATIONS
                ]
                violations += [
                    f"{module.where}:{node.lineno}: a transaction operation {{{op!r}: ...}}"
                    for op in operations
                ]
    return _listed(violations)


def test_only_the_store_builds_dynamodb_requests():
    assert requests_outside_the_store() == []


def refusals_read_outside_the_store(modules: Iterable[Module] | None = None) -> list[str]:
    return _listed(
        f"{module.where}:{line}: {name}"
        for module in modules or shipped()
        if not module.within(STORE)
        for line, name in names_used(module)
        if name in REFUSAL_NAMES
    )


def test_only_the_store_reads_refusals():
    assert refusals_read_outside_the_store() == []


def gsi_names_outside_the_store(modules: Iterable[Module] | None = None) -> list[str]:
    violations = []
    for module in modules or shipped():
        if module.within(STORE):
            continue
        for line, text in strings(module):
            if module.name != KEYS and GSI_ATTRIBUTE.search(text):
                violations.append(f"{module.where}:{line}: GSI attribute in {text!r}")
            elif GSI_INDEX.fullmatch(text):
                violations.append(f"{module.where}:{line}: index name {text!r}")
        for line, name in names_used(module):
            if module.name != KEYS and GSI_ATTRIBUTE.fullmatch(name):
                violations.append(f"{module.where}:{line}: GSI attribute {name}")
    return _listed(violations)


def test_only_the_store_and_keys_name_gsi_attributes_and_only_the_store_names_indexes():
    assert gsi_names_outside_the_store() == []


def dynamodb_imports_outside_the_store(modules: Iterable[Module] | None = None) -> list[str]:
    violations = []
    for module in modules or shipped():
        if module.within(STORE):
            continue
        for line, source, _ in imports(module):
            dynamodb = any(_within(source, forbidden) for forbidden in DYNAMODB_IMPORTS)
            if dynamodb or (_within(source, "botocore") and module.name != CLIENT_FACTORY):
                violations.append(f"{module.where}:{line}: imports {source}")
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "dynamodb"
                and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "client"
            ):
                violations.append(f"{module.where}:{node.lineno}: a DynamoDB client")
    return _listed(violations)


def test_nothing_outside_the_store_imports_dynamodb():
    assert dynamodb_imports_outside_the_store() == []


@cache
def key_literals() -> tuple[frozenset[str], frozenset[str]]:
    """From keys.py: the prefixes of its keys ('COUPON#', ...) and its fixed key values ('CLAIM', ...)."""
    (keys_module,) = [m for m in layer_modules() if m.name == KEYS]
    prefixes, fixed = set(), set()
    for node in ast.walk(keys_module.tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                attribute = isinstance(key, ast.Constant) and KEY_ATTRIBUTE.fullmatch(str(key.value))
                if attribute and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    fixed.add(value.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "#" in node.value:
            head = node.value.partition("#")[0]
            if head.isupper():
                prefixes.add(head + "#")
    return frozenset(prefixes), frozenset(fixed)


def test_key_literals_are_read_from_keys_py():
    prefixes, fixed = key_literals()
    # The checks below are only as good as what they look for.
    assert {"COUPON#", "SHARD#", "CLAIM#", "GIFT#", "CODE#", "REMIND#"} <= prefixes
    assert {"COUPON", "SHARD", "CLAIM", "CODE", "GIFT", "JOB"} <= fixed


def key_strings_outside_keys_py(modules: Iterable[Module] | None = None) -> list[str]:
    prefixes, fixed = key_literals()
    violations = []
    for module in modules or shipped():
        if module.name == KEYS:
            continue
        for line, text in strings(module):
            if text in fixed or any(prefix in text for prefix in prefixes):
                violations.append(f"{module.where}:{line}: key string {text!r}")
        for node in ast.walk(module.tree):
            for name, value in _key_assignments(node):
                if isinstance(value, ast.JoinedStr | ast.Constant):
                    violations.append(f"{module.where}:{value.lineno}: {name} built here, not in keys.py")
    return _listed(violations)


def test_key_strings_live_only_in_keys_py():
    assert key_strings_outside_keys_py() == []


def _key_assignments(node: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    """(key attribute, value) where a dict literal or keyword argument sets PK, SK or a GSI key."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if isinstance(key, ast.Constant) and KEY_ATTRIBUTE.fullmatch(str(key.value)):
                yield str(key.value), value
    elif isinstance(node, ast.keyword) and node.arg and KEY_ATTRIBUTE.fullmatch(node.arg):
        yield node.arg, node.value


def handler_imports_beyond_the_api(modules: Iterable[Module] | None = None) -> list[str]:
    allowed_layer = HANDLER_LAYER_IMPORTS + tuple(p for prefixes in SERVICES.values() for p in prefixes)
    violations = []
    for module in modules or handler_modules():
        for line, source in imported_modules(module):
            top = source.partition(".")[0]
            if top == "__future__" or top in sys.stdlib_module_names:
                continue
            allowed = allowed_layer if top == "coupon_service" else HANDLER_OTHER_IMPORTS
            if not any(_within(source, prefix) for prefix in allowed):
                violations.append(f"{module.where}:{line}: imports {source}")
    return _listed(violations)


def test_handlers_import_only_the_api_identity_models_and_services():
    assert handler_imports_beyond_the_api() == []


def service_imports_of_services(modules: Iterable[Module] | None = None) -> list[str]:
    violations = []
    for module in modules or layer_modules():
        mine = service_of(module.name)
        if mine is None:
            continue
        for line, source in imported_modules(module):
            theirs = service_of(source)
            if theirs is not None and theirs != mine and not any(_within(source, p) for p in PRIMITIVES):
                violations.append(f"{module.where}:{line}: the {mine} service imports {source} ({theirs})")
    return _listed(violations)


def test_no_service_imports_another():
    assert service_imports_of_services() == []


def test_the_service_table_names_modules_that_exist():
    modules = known_modules()
    missing = [
        p for prefixes in SERVICES.values() for p in prefixes if not any(_within(m, p) for m in modules)
    ]
    assert missing == []


def private_names_used_elsewhere(modules: Iterable[Module] | None = None) -> list[str]:
    violations = []
    for module in modules or shipped():
        violations += [
            f"{module.where}:{line}: imports {source}.{name}"
            for line, source, name in imports(module)
            if name is not None and _private(name)
        ]
        modules = _module_names(module)
        violations += [
            f"{module.where}:{node.lineno}: uses {ast.unparse(node)}"
            for node in ast.walk(module.tree)
            if isinstance(node, ast.Attribute) and _private(node.attr) and _root_name(node.value) in modules
        ]
    return _listed(violations)


def _module_names(module: Module) -> set[str]:
    """The names a module binds to modules it imports (`import a.b` binds `a`), or to modules it names to
    `later`."""
    names = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Assign) and _later(node.value) is not None:
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            names.update(
                alias.asname or alias.name
                for alias in node.names
                if f"{source}.{alias.name}" in known_modules()
            )
    return names


def test_no_module_uses_another_modules_private_names():
    assert private_names_used_elsewhere() == []


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _type_checking_bindings(module: Module, block: list[ast.stmt]) -> set[tuple[str, str]]:
    """(name, module) for every module an `if TYPE_CHECKING:` block imports under a name."""
    bound = set()
    for node in block:
        if isinstance(node, ast.Import):
            bound.update((alias.asname, alias.name) for alias in node.names if alias.asname)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            bound.update(
                (alias.asname or alias.name, f"{source}.{alias.name}")
                for alias in node.names
                if f"{source}.{alias.name}" in known_modules()
            )
    return bound


def later_modules_unlike_their_types(modules: Iterable[Module] | None = None) -> list[str]:
    """Where a module's `later` names (in the `else:` of `if TYPE_CHECKING:`) are not the modules its
    type-checked branch imports under the same names: what runs would not be what mypy checked."""
    violations = []
    for module in modules or shipped():
        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
                continue
            checked = {(n, m) for n, m in _type_checking_bindings(module, node.body) if m in known_modules()}
            run = {
                (target.id, named)
                for statement in node.orelse
                if isinstance(statement, ast.Assign) and (named := _later(statement.value)) is not None
                for target in statement.targets
                if isinstance(target, ast.Name)
            }
            if node.orelse or run:
                violations += [
                    f"{module.where}:{node.lineno}: {n} = later({m!r}) unchecked" for n, m in run - checked
                ]
                violations += [
                    f"{module.where}:{node.lineno}: {n} ({m}) not made later" for n, m in checked - run
                ]
    return _listed(violations)


def test_what_is_imported_later_is_what_the_type_checker_reads():
    assert later_modules_unlike_their_types() == []


# --- the checks check ----------------------------------------------------------------------------------


def _module(source: str, name: str = "coupon_service.sample") -> Module:
    return Module(name, LAYER / (name.replace(".", "/") + ".py"), ast.parse(source))


def test_the_readers_find_what_the_rules_look_for():
    sample = _module(
        '"""Docstring naming ConditionExpression and GSI1PK."""\n'
        "from coupon_service import keys\n"
        "from coupon_service.store.table import _cancelled\n"
        "from . import claims\n"
        "def f(table, x):\n"
        '    """ConditionExpression in a docstring."""\n'
        '    table.update(x, ConditionExpression="attribute_exists(PK)", GSI2SK=f"CLAIM#{x}")\n'
        '    return {"Put": {"Item": {"SK": "CLAIM"}}}, claims._spelled(x)\n'
    )
    assert {text for _, text in strings(sample)} == {
        "attribute_exists(PK)",
        "CLAIM#",
        "Put",
        "Item",
        "SK",
        "CLAIM",
    }
    used = {name for _, name in names_used(sample)}
    assert {"ConditionExpression", "GSI2SK", "Put", "_spelled"} <= used
    assert list(imported_modules(sample)) == [
        (2, "coupon_service.keys"),
        (3, "coupon_service.store.table"),
        (4, "coupon_service.claims"),
    ]
    assert sorted(name for node in ast.walk(sample.tree) for name, _ in _key_assignments(node)) == [
        "GSI2SK",
        "SK",
    ]
    assert service_of("coupon_service.claims") == "claims"
    assert service_of("coupon_service.claims_rules") is None


# Each rule, given a module that breaks it and its twin that does not: the rules bite, and only there.
PLANTED = [
    (
        requests_outside_the_store,
        "coupon_service.gifts",
        'def f(t):\n    t.update(k, UpdateExpression="SET a = :a")\n',
        "def f(store):\n    store.accept_gift(k)\n",
    ),
    (
        requests_outside_the_store,
        "coupon_service.gifts",
        'OPS = [{"ConditionCheck": {"Key": k}}]\n',
        'OPS = [{"check": k}]\n',
    ),
    (
        refusals_read_outside_the_store,
        "coupon_service.claims",
        "try:\n    f()\nexcept Cancelled as c:\n    c.code_at(1)\n",
        "try:\n    f()\nexcept SoldOut:\n    pass\n",
    ),
    (
        gsi_names_outside_the_store,
        "coupon_service.claims",
        'Q = {"index": "GSI1", "key": "GSI1PK = :p"}\n',
        'Q = {"index": "wallet"}\n',
    ),
    (
        dynamodb_imports_outside_the_store,
        "coupon_service.events",
        "from boto3.dynamodb.types import TypeDeserializer\n",
        "from coupon_service.store import events\n",
    ),
    (
        dynamodb_imports_outside_the_store,
        "coupon_service.imports",
        'from coupon_service.aws import client\nclient("dynamodb")\n',
        'from coupon_service.aws import client\nclient("s3")\n',
    ),
    (
        key_strings_outside_keys_py,
        "coupon_service.reminders",
        'gift = entry["PK"].startswith("GIFT#")\n',
        'gift = entry["type"] == "gift"\n',
    ),
    (
        key_strings_outside_keys_py,
        "coupon_service.store.claims",
        'item = {"GSI4SK": f"{now}#{claim_id}"}\n',
        'item = {"GSI4SK": keys.records_sort(now, claim_id)}\n',
    ),
    (
        handler_imports_beyond_the_api,
        "functions.claim.app",
        "from coupon_service.qr import SIZES\nimport boto3\n",
        "import json\n"
        "from aws_lambda_powertools.event_handler import Response\n"
        "from coupon_service.claims import Claims\n",
    ),
    (
        handler_imports_beyond_the_api,
        "functions.claim.app",
        'from coupon_service.api import later\nboto3 = later("boto3")\n',
        'from coupon_service.api import later\nclaims = later("coupon_service.claims")\n',
    ),
    (
        later_modules_unlike_their_types,
        "functions.claim.app",
        "if TYPE_CHECKING:\n    from coupon_service import claims\nelse:\n"
        '    claims = later("coupon_service.gifts")\n',
        "if TYPE_CHECKING:\n    from coupon_service import claims\nelse:\n"
        '    claims = later("coupon_service.claims")\n',
    ),
    (
        later_modules_unlike_their_types,
        "functions.claim.app",
        "if TYPE_CHECKING:\n    from coupon_service import claims, gifts\nelse:\n"
        '    claims = later("coupon_service.claims")\n',
        "if TYPE_CHECKING:\n    from coupon_service import claims\n"
        "    from coupon_service.models import claims as m\n"
        'else:\n    claims = later("coupon_service.claims")\n    m = later("coupon_service.models.claims")\n',
    ),
    (
        private_names_used_elsewhere,
        "functions.claim.app",
        'claims = later("coupon_service.claims")\nclaims._held(1)\n',
        'claims = later("coupon_service.claims")\nclaims.held(1)\n',
    ),
    (
        service_imports_of_services,
        "coupon_service.reminders",
        "from coupon_service.gifts import Gifts\n",
        "from coupon_service.store.gifts import GiftStore\n",
    ),
    (
        private_names_used_elsewhere,
        "coupon_service.events",
        "from coupon_service.store.table import _plain\nfrom coupon_service import claims\nclaims._held(1)\n",
        "from coupon_service.store.table import plain\nfrom coupon_service import claims\nclaims.held(1)\n",
    ),
]


@pytest.mark.parametrize(("rule", "name", "broken", "clean"), PLANTED)
def test_each_rule_reports_a_planted_violation_and_passes_its_fixed_twin(rule, name, broken, clean):
    assert rule([_module(broken, name)]) != []
    assert rule([_module(clean, name)]) == []
