"""The loader's outputs are identical on pandas 2 and pandas 3 (and every pinned floor).

CI runs the suite twice, with the newest versions a fresh install resolves and with the lowest
pinned in ``ci/constraints-lowest.txt``; both runs compare the load of one dirty export per
profile with the digest committed in ``tests/io/golden/loader_digest.json``. When a deliberate
change alters what the loader produces, regenerate it with ``python -m tests.io._digest`` and
check that the same file comes out of both environments.
"""

from __future__ import annotations

import json

import pytest

from tests.io._digest import GOLDEN, PROFILES, load_digest


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize("profile", PROFILES)
def test_load_matches_the_committed_digest(profile, golden, tmp_path):
    got = load_digest(profile, tmp_path)
    want = golden[profile]
    assert got["counts"] == want["counts"]
    for part in ("data", "missing_reasons", "quarantine", "invalid_cells", "set_missing"):
        differ = sorted(
            k for k in set(got[part]) | set(want[part]) if got[part].get(k) != want[part].get(k)
        )
        assert not differ, f"{profile}: {part} differs in {differ}"
    assert got["provenance"] == want["provenance"]
