"""Every Python example in docs/*.md runs and prints what the page says."""

from __future__ import annotations

import doctest
import importlib.util
from pathlib import Path

import pytest

DOCS = sorted((Path(__file__).resolve().parents[1] / "docs").glob("*.md"))


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_doc_examples_run(page):
    if page.name == "torch.md" and importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed: docs/torch.md needs the 'torch' extra")
    result = doctest.testfile(str(page), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0
