"""Shared internals of the YAML validators (analysis spec, loader profiles, canonical schema):
one translation of a pydantic ``ValidationError`` into the package's error style (file, key path,
value, what was expected).

Each validator is a tree of pydantic models with ``extra="forbid"``; :func:`problems` turns the
errors of one validation into ``(key, value, problem, expected)`` tuples, keeping the first error
per key (a union reports one per member), and :func:`first_problem_message` writes the one-line
message every validator raises with.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["Problem", "StrictModel", "dotted", "problem_message", "problems"]

#: ``(key path, value, problem, expected)`` of one invalid key.
Problem = tuple[str, Any, str, str]


class StrictModel(BaseModel):
    """Base of every YAML model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def dotted(loc: tuple[Any, ...]) -> str:
    """``("a", 0, "b")`` -> ``"a[0].b"`` (``"<root>"`` for the empty path).

    Examples
    --------
    >>> dotted(("columns", "sex", "codes"))
    'columns.sex.codes'
    >>> dotted(("coalesce", 1, "years"))
    'coalesce[1].years'
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<root>"


def _is_union_tag(part: Any) -> bool:
    """pydantic adds the member type (``str``, ``list[...]``, ...) to union error locations."""
    if isinstance(part, int):
        return False
    text = str(part)
    return (
        text in {"str", "int", "float", "bool", "none"}
        or "[" in text
        or text.startswith("function-")
    )


def _inner_model(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in getattr(ann, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _is_mapping(ann: Any) -> bool:
    if get_origin(ann) in (dict, Mapping):
        return True
    return any(_is_mapping(a) for a in getattr(ann, "__args__", ()) or () if a is not type(None))


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (to list its allowed keys)."""
    model: Any = root
    skip_key = False
    for part in loc:
        if isinstance(part, int):
            continue
        if skip_key:  # the key of a mapping of models (``columns: {<name>: entry}``)
            skip_key = False
            continue
        field = (
            model.model_fields.get(part)
            if isinstance(model, type) and issubclass(model, BaseModel)
            else None
        )
        if field is None:
            return None
        ann = field.annotation
        skip_key = _is_mapping(ann)
        model = _inner_model(ann)
        if model is None:
            return None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _translate(root: type[BaseModel], err: Mapping[str, Any], hints: bool) -> Problem:
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = list(parent.model_fields) if parent is not None else []
        problem = f"unknown key {loc[-1]!r}"
        if hints and allowed:
            near = difflib.get_close_matches(str(loc[-1]), allowed, n=2)
            if near:
                problem += f" (did you mean {', '.join(map(repr, near))}?)"
        expected = f"one of the keys {', '.join(allowed)}" if allowed else "a documented key"
        return dotted(loc), value, problem, expected
    if kind == "missing":
        return dotted(loc), None, "required key is missing", "a value for this key"
    if kind == "literal_error":
        return dotted(loc), value, "value not allowed", f"one of {ctx.get('expected')}"
    if kind == "value_error":
        msg = str(ctx.get("error", err.get("msg", "")))
        return dotted(loc), None if not hints else value, msg, "a consistent combination of keys"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = {
            "greater_than": "> ",
            "greater_than_equal": ">= ",
            "less_than": "< ",
            "less_than_equal": "<= ",
        }[kind]
        limit = next(iter(ctx.values()), "")
        return dotted(loc), value, "value out of range", f"a number {bound}{limit}"
    if kind == "too_short":
        return (
            dotted(loc),
            value,
            "list is too short",
            (f"at least {ctx.get('min_length')} item(s)"),
        )
    msg = str(err.get("msg", "invalid value"))
    expected = msg.removeprefix("Input should be ").strip() or "a valid value"
    return dotted(loc), value, "invalid value", expected


def problems(exc: ValidationError, root: type[BaseModel], *, hints: bool = False) -> list[Problem]:
    """The invalid keys of one validation, first error per key, in pydantic's order.

    ``hints`` adds near matches to unknown keys and keeps the value of a failed validator.
    """
    seen: dict[str, Problem] = {}
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err.get("loc", ()) if not _is_union_tag(p))
        found = _translate(root, {**err, "loc": loc}, hints)
        seen.setdefault(found[0], found)
    return list(seen.values())


def problem_message(what: str, found: list[Problem]) -> str:
    """``"invalid <what>: key 'a.b': <problem> (also invalid: 'c')"``."""
    key, _, problem, _ = found[0]
    message = f"invalid {what}: key {key!r}: {problem}"
    if len(found) > 1:
        message += f" (also invalid: {', '.join(repr(p[0]) for p in found[1:])})"
    return message
