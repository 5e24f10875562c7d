"""One bounded, strict YAML reader for every YAML file a user hands the package.

Analysis specs and loader profiles are data written by someone else. ``yaml.safe_load`` does not
run code, but it expands aliases without limit (a few hundred bytes of nested ``&a [*b, *b]``
anchors become gigabytes: the "billion laughs") and lets a repeated key silently replace the
first one. :func:`load_yaml` refuses both, before anything is built:

* the text may not exceed :data:`MAX_BYTES`;
* a document may hold at most :data:`MAX_ALIASES` alias references, and its expanded size (each
  node counted once per path that reaches it) may not exceed :data:`MAX_NODES`;
* a key repeated in one mapping is an error naming both lines;
* the bytes must be UTF-8 (a BOM is accepted).

Limits are generous for real specs and profiles (the shipped SEER profile has about 2,000
nodes and no alias).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from crlm_outcomes.errors import InputError, UnsafeYamlError

__all__ = ["load_yaml", "load_yaml_file", "load_yaml_as", "MAX_BYTES", "MAX_ALIASES", "MAX_NODES"]

#: Largest YAML text accepted (bytes).
MAX_BYTES = 2_000_000
#: Most alias references (``*name``) accepted in one document.
MAX_ALIASES = 200
#: Largest expanded size accepted (nodes, counting every alias expansion).
MAX_NODES = 200_000


def _refused(message: str, line: int | None = None) -> UnsafeYamlError:  # noqa: N802
    """The :class:`~crlm_outcomes.errors.UnsafeYamlError` for ``message`` at ``line``."""
    return UnsafeYamlError(message, row=line)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses repeated mapping keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # SafeLoader raises its own error for unhashable keys
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _refused(
                    f"key {key!r} appears twice in one mapping (lines "
                    f"{seen[key]} and {line}); the second would silently "
                    "replace the first",
                    line=line,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _check_events(text: str) -> None:
    """Count alias events before composing (the composer itself is cheap; expansion is not)."""
    aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _refused(
                    f"more than {MAX_ALIASES} YAML aliases (*name); refused as a possible "
                    "alias bomb",
                    line=event.start_mark.line + 1,
                )


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """Nodes in the fully expanded tree under ``node`` (memoised per node object)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = MAX_NODES + 1  # a node reached again while being sized: a recursive alias
    if isinstance(node, ScalarNode):
        size = 1
    elif isinstance(node, SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:  # pragma: no cover - yaml has only these three node kinds
        size = 1
    size = min(size, MAX_NODES + 1)
    memo[key] = size
    return size


def load_yaml(text: str | bytes) -> Any:
    """Parse one YAML document within the limits of this module.

    Parameters
    ----------
    text
        The YAML text, or its bytes (decoded as UTF-8).

    Returns
    -------
    Any
        What ``yaml.safe_load`` would return.

    Raises
    ------
    UnsafeYamlError
        Not UTF-8, too large, too many aliases, expands past :data:`MAX_NODES` nodes, or a
        repeated key.
    yaml.YAMLError
        Not valid YAML.

    Examples
    --------
    >>> load_yaml("a: 1\\nb: [x, y]")
    {'a': 1, 'b': ['x', 'y']}
    >>> load_yaml("a: 1\\na: 2")
    Traceback (most recent call last):
    ...
    crlm_outcomes.errors.UnsafeYamlError: key 'a' appears twice in one mapping (lines 1 and 2); the second would silently replace the first; at row 2
    """
    if isinstance(text, bytes):
        raw = text
        if len(raw) > MAX_BYTES:
            raise _refused(f"YAML file of {len(raw)} bytes; at most {MAX_BYTES} accepted")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise _refused(
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                f"{exc.start}); save the file as UTF-8",
                line=line,
            ) from None
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise _refused(f"YAML text over {MAX_BYTES} bytes refused")
    _check_events(text)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise _refused(
                f"the YAML expands to more than {MAX_NODES} nodes through its "
                "aliases; refused as a possible alias bomb"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml_file(path: str | Path) -> Any:
    """:func:`load_yaml` of a file's bytes (size checked before reading it all).

    Parameters
    ----------
    path
        The YAML file (an analysis spec, a loader profile).

    Returns
    -------
    Any
        What ``yaml.safe_load`` would return for the file (a dict for a spec or profile).

    Raises
    ------
    UnsafeYamlError
        Over :data:`MAX_BYTES` bytes (refused before reading), or any refusal of
        :func:`load_yaml`.
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "spec.yaml"
    ...     _ = path.write_text("title: OS by RAS status\\nendpoints: [os, rfs]\\n", encoding="utf-8")
    ...     load_yaml_file(path)
    {'title': 'OS by RAS status', 'endpoints': ['os', 'rfs']}
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise _refused(f"YAML file of {size} bytes; at most {MAX_BYTES} accepted")
    return load_yaml(path.read_bytes())


def load_yaml_as(text: str | bytes, *, what: str, file: str, error: type[InputError]) -> Any:
    """:func:`load_yaml`, any refusal or syntax error raised as ``error`` (an
    :class:`~crlm_outcomes.errors.InputError` class) naming ``what``, the file and the line.

    Parameters
    ----------
    text
        The YAML text or bytes.
    what
        What the file is, for the message (``"the analysis spec"``).
    file
        The file's path, quoted by the error.
    error
        The error class to raise (``SpecError``, ``SchemaDefinitionError``).

    Returns
    -------
    Any
        What :func:`load_yaml` returns.

    Raises
    ------
    InputError
        An instance of ``error``: the text is refused by :func:`load_yaml` (a repeated key, an
        alias bomb, too large) or is not YAML.

    Examples
    --------
    >>> from crlm_outcomes.errors import SpecError
    >>> try:
    ...     load_yaml_as("a: 1\\na: 2", what="the spec", file="s.yaml", error=SpecError)
    ... except SpecError as exc:
    ...     print(exc.file, exc.row)
    s.yaml 2
    """
    try:
        return load_yaml(text)
    except UnsafeYamlError as exc:
        raise error(
            f"{what} is refused: {exc.message}",
            file=file,
            row=exc.row,
            expected="a UTF-8 YAML mapping without repeated keys or alias bombs",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            f"{what} is not valid YAML: {getattr(exc, 'problem', exc)}",
            file=file,
            row=(mark.line + 1) if mark is not None else None,
            expected="a YAML mapping",
        ) from None
