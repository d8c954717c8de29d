"""PFSELFTEST: Redis' self-test of the HyperLogLog code, run on ours, and its failure texts."""

from __future__ import annotations

import pytest

from pypika_store import hyperloglog
from pypika_store.errors import CommandError


def test_pfselftest_answers_as_redis(diff):
    diff.check("PFSELFTEST")
    diff.check("PFSELFTEST", "x")


def test_self_test_passes_with_any_seed_and_sparse_limit():
    for seed in range(3):
        hyperloglog.self_test(seed=seed)
    hyperloglog.self_test(sparse_max_bytes=0, seed=1)  # promoted at once: the sparse rule does not apply


def _failure(**kwargs) -> str:
    with pytest.raises(CommandError) as raised:
        hyperloglog.self_test(seed=7, **kwargs)
    return raised.value.message


def test_a_packing_fault_is_a_register_error(monkeypatch):
    packed = hyperloglog._raw_to_dense
    monkeypatch.setattr(hyperloglog, "_raw_to_dense", lambda raw: packed(bytes([raw[0] ^ 1]) + bytes(raw[1:])))
    assert _failure().startswith("TESTFAILED Register error at index 0: ")


def test_a_wrong_estimate_is_too_big_an_error(monkeypatch):
    estimate = hyperloglog._estimate
    monkeypatch.setattr(hyperloglog, "_estimate", lambda histogram: estimate(histogram) + 2)
    assert _failure() == "TESTFAILED Too big error. card:1 abserr:2"


def test_an_early_promotion_is_reported(monkeypatch):
    add = hyperloglog.pfadd
    monkeypatch.setattr(hyperloglog, "pfadd", lambda value, elements, sparse_max_bytes: add(value, elements, sparse_max_bytes=0))
    assert _failure() == "TESTFAILED sparse encoding not used"
