"""The differential oracle of the fast HCL reader's tests: python-hcl2 with seawall's
options (the reference) and hclfast (which must equal it or give up)."""

from __future__ import annotations

from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from seawall.inventory.sources import hclfast

OPTIONS = SerializationOptions(
    with_comments=False, strip_string_quotes=True, preserve_heredocs=False
)
SYNTAX_ERROR = "syntax error"
UNSUPPORTED = "unsupported"


def reference(text: str) -> Any:
    """python-hcl2's answer, or SYNTAX_ERROR when it raises anything."""
    try:
        return hcl2.loads(text, serialization_options=OPTIONS)
    except Exception:  # lark's syntax errors, and python-hcl2's own TypeError/RuntimeError
        return SYNTAX_ERROR


def fast(text: str) -> Any:
    """hclfast's answer, or UNSUPPORTED when it gives up (any other exception propagates)."""
    try:
        return hclfast.loads(text)
    except hclfast.Unsupported:
        return UNSUPPORTED
