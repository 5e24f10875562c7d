"""Hostile YAML: alias bombs, repeated keys, huge and non-UTF-8 files, for specs and profiles."""

from __future__ import annotations

import pytest

from crlm_outcomes.errors import ProfileError, SpecError, UnsafeYamlError
from crlm_outcomes.io.profile import PROFILE_DIR, load_profile
from crlm_outcomes.report.spec import load_spec
from crlm_outcomes.safe_yaml import MAX_BYTES, load_yaml

#: 9 levels of 9-fold aliases: 9**9 = 387 million nodes from a few hundred bytes
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
#: few aliases, but each expands a wide list: the expansion limit refuses it
WIDE_BOMB = "a: &a [" + ", ".join(["x"] * 2000) + "]\nb: [" + ", ".join(["*a"] * 150) + "]\n"


def test_alias_bomb_spec_is_refused(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("cohort: {demo: true}\n" + ALIAS_BOMB, encoding="utf-8")
    assert path.stat().st_size < 600
    with pytest.raises(SpecError, match="alias bomb"):
        load_spec(path)


def test_many_aliases_are_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * 500) + "]\n"
    with pytest.raises(UnsafeYamlError, match="more than 200 YAML aliases"):
        load_yaml(text)


def test_wide_expansion_is_refused():
    with pytest.raises(UnsafeYamlError, match="expands to more than"):
        load_yaml(WIDE_BOMB)


def test_recursive_alias_is_refused_not_looped():
    with pytest.raises((UnsafeYamlError, Exception)) as info:
        load_yaml("a: &a [*a]\n")
    assert not isinstance(info.value, RecursionError)


def test_a_few_honest_aliases_are_fine():
    assert load_yaml("base: &b {x: 1}\nother: *b\n") == {"base": {"x": 1}, "other": {"x": 1}}


def test_duplicate_key_in_spec_is_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("title: first\ncohort: {demo: true}\ntitle: second\n", encoding="utf-8")
    with pytest.raises(SpecError, match="'title' appears twice") as info:
        load_spec(path)
    assert info.value.row == 3


def test_duplicate_nested_key_is_refused():
    with pytest.raises(UnsafeYamlError, match="'threshold' appears twice"):
        load_yaml("output:\n  suppression:\n    threshold: 11\n    threshold: 3\n")


def test_non_utf8_spec_is_a_spec_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Résumé\ncohort: {demo: true}\n".encode("latin-1"))
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: ok\ncohort: {demo: true}\n")
    assert load_spec(path).title == "ok"


def test_huge_spec_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("title: x\n# " + "x" * (MAX_BYTES + 10) + "\n", encoding="utf-8")
    with pytest.raises(SpecError, match="at most"):
        load_spec(path)


def test_profile_alias_bomb_is_refused(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nidentity: true\n" + ALIAS_BOMB, encoding="utf-8")
    with pytest.raises(ProfileError, match="alias bomb"):
        load_profile(path)


def test_profile_duplicate_key_is_refused(tmp_path):
    text = (PROFILE_DIR / "seer.yaml").read_text(encoding="utf-8")
    path = tmp_path / "seer_dup.yaml"
    path.write_text(text + "\nname: other\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="'name' appears twice"):
        load_profile(path)


def test_non_utf8_profile_is_a_profile_error(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"name: caf\xe9\nidentity: true\n")
    with pytest.raises(ProfileError, match="not UTF-8"):
        load_profile(path)


def test_shipped_profiles_pass_the_limits():
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        assert load_profile(path).name
