"""Every module's docstring examples run and pass (``doctest``), one test per module.

The modules of ``rope_sym``, ``derivations`` and ``verify`` are found by walking the packages, so a new module
is covered without editing this file. ``__main__`` modules are skipped (importing one runs the CLI), and so are
the torch backend's modules (``rope_sym.torch_*``) when torch is not installed, and a module whose import needs
an optional test dependency that is missing (``verify.transformers_reference`` needs torch and transformers).
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

PACKAGES = ("rope_sym", "derivations", "verify")
TORCH_MODULE_PREFIX = "rope_sym.torch_"
HAS_TORCH = importlib.util.find_spec("torch") is not None
OPTIONAL_DEPENDENCIES = frozenset({"torch", "transformers"})


def _module_names() -> list[str]:
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.rsplit(".", 1)[-1] != "__main__":
                names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def test_the_walk_finds_the_packages_and_the_torch_backend():
    # a broken walk (wrong path, wrong prefix) would otherwise pass vacuously with few or no modules
    assert {"rope_sym.pipelines", "rope_sym.erasure", "rope_sym.formats.rounding", "verify.cli",
            "rope_sym.bounds.zone", "rope_sym.torch_backend.pipelines", "rope_sym.torch_backend.erasure",
            "rope_sym.torch_backend.confirm",
            "rope_sym.torch_backend.attention"} <= set(MODULES)
    assert not any(name.endswith("__main__") for name in MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests_pass(name):
    if name.startswith(TORCH_MODULE_PREFIX) and not HAS_TORCH:
        pytest.skip("torch is not installed (the 'torch' extra)")
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in OPTIONAL_DEPENDENCIES:
            raise
        pytest.skip(f"{name} needs {error.name}, which is not installed")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False,
                             report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
