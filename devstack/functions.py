"""Load a function's app.py as Lambda would, under a module name of its own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from devstack.template import ROOT

FUNCTIONS = ROOT / "functions"


def load_function(name: str) -> ModuleType:
    module_name = f"function_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path: Path = FUNCTIONS / name / "app.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
