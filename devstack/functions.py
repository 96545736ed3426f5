"""Load a function's app.py as Lambda would, under a module name of its own."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

from devstack.template import ROOT

FUNCTIONS = ROOT / "functions"
# One load at a time: a module is in sys.modules while its code still runs, so a second thread's first
# invocation must wait for the whole module, not take the half-built one (no `lambda_handler` yet).
_LOADING = threading.RLock()
_LOADED: set[str] = set()


def load_function(name: str) -> ModuleType:
    module_name = f"function_{name}"
    if module_name in _LOADED and module_name in sys.modules:
        return sys.modules[module_name]
    with _LOADING:
        if module_name in sys.modules and module_name in _LOADED:
            return sys.modules[module_name]
        path: Path = FUNCTIONS / name / "app.py"
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec and spec.loader, path
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        _LOADED.add(module_name)
        return module
