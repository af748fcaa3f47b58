"""A short ``repr`` for the hyperparameter dataclasses: required fields by position, changed defaults by name.

``Linear(4, 3)``, ``Activation('leaky_relu', slope=0.1)``, ``Adam(learning_rate=0.01)``: what a check prints.
"""

from __future__ import annotations

import dataclasses


def compact_repr(obj) -> str:
    """``Name(required..., changed=value...)`` of a dataclass instance."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise ValueError(f"obj must be a dataclass instance, got {obj!r:.60}")
    parts = []
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if field.default is dataclasses.MISSING:
            parts.append(repr(value))
        elif value != field.default:
            parts.append(f"{field.name}={value!r}")
    return f"{type(obj).__name__}({', '.join(parts)})"
