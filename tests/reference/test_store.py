"""The record store: bounded, expiring exactly at retention, monotonic statuses."""

from __future__ import annotations

import pytest

from conformance.reference.budget import ByteBudget
from conformance.reference.store import IdInUse, InferenceStore, Status, StoredResponse, StoreFull


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_store(max_records: int = 3, retention: float = 10.0) -> tuple[InferenceStore, Clock, ByteBudget]:
    clock, budget = Clock(), ByteBudget(1000)
    return InferenceStore(max_records, retention, budget, clock=clock), clock, budget


def answer(body: bytes = b"result") -> StoredResponse:
    return StoredResponse(200, [(b"content-type", b"text/plain")], body)


def test_status_only_moves_forward() -> None:  # GW-STATUS-02
    store, _, _ = make_store()
    record = store.create("mock", "a")
    record.advance(Status.INFERENCE)
    record.advance(Status.QUEUE)
    assert record.status is Status.INFERENCE
    store.complete(record, answer(), None)
    record.advance(Status.INFERENCE)
    assert record.status is Status.COMPLETED


def test_completed_records_expire_after_retention_and_not_before() -> None:
    store, clock, budget = make_store(retention=10.0)
    record = store.create("mock", "a")
    clock.now += 100  # pending records never expire
    assert store.get("mock", "a") is record
    store.complete(record, answer(b"12345"), None)
    assert budget.used == 5
    clock.now += 9.99
    assert store.get("mock", "a") is record
    clock.now += 0.01
    assert store.get("mock", "a") is None
    assert budget.used == 0
    assert store.create("mock", "a") is not record  # the id is free again


def test_ids_are_per_deployment() -> None:  # GW-SEC-01
    store, _, _ = make_store()
    store.create("one", "a")
    assert store.get("two", "a") is None
    store.create("two", "a")
    with pytest.raises(IdInUse):
        store.create("one", "a")


def test_full_store_refuses_with_time_until_space() -> None:
    store, clock, _ = make_store(max_records=2, retention=30.0)
    first = store.create("mock", "a")
    store.create("mock", "b")
    with pytest.raises(StoreFull) as pending_only:
        store.create("mock", "c")
    assert pending_only.value.retry_after == 1
    store.complete(first, answer(), None)
    clock.now += 20.5
    with pytest.raises(StoreFull) as full:
        store.create("mock", "c")
    assert full.value.retry_after == 10
    clock.now += 10
    store.create("mock", "c")


def test_removed_record_does_not_come_back_or_leak_budget() -> None:
    store, clock, budget = make_store()
    record = store.create("mock", "a")
    store.remove(record)
    store.complete(record, answer(b"xyz"), "late")
    assert store.get("mock", "a") is None
    assert budget.used == 0
    again = store.create("mock", "a")
    clock.now += 1000  # the old record's expiry must not remove the new one
    assert store.get("mock", "a") is again
