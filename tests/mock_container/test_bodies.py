"""Bodies held once and made in parts produce exactly the bytes a whole body would."""

from __future__ import annotations

import asyncio
import random

import pytest

from mock_container.bodies import PART, Data, Stream, random_data, sse_block
from mock_container.memory import Budget, Hold, OverBudget


def run(coroutine):
    return asyncio.run(coroutine)


def whole_sse_block(data: bytes) -> bytes:
    """The data lines of an event as the docs state them, from the whole body."""
    return "".join(f"data: {line}\n" for line in data.decode("utf-8", errors="replace").split("\n")).encode()


@pytest.mark.parametrize("size", [0, 1, 7, PART - 1, PART, PART + 3, 5 * PART + 7])
def test_random_data_is_the_generators_randbytes(size):
    made = run(random_data(random.Random("3:1"), size))
    assert made.size == size
    assert made.to_bytes() == random.Random("3:1").randbytes(size)
    assert all(len(chunk) <= PART for chunk in made.chunks())


@pytest.mark.parametrize("size", [0, 10, PART - 1, PART + 1, 3 * PART + 17])
def test_sse_block_of_parts_is_the_block_of_the_whole(size):
    raw = random.Random(size).randbytes(size)
    assert run(sse_block(Data.of(raw))).to_bytes() == whole_sse_block(raw)
    assert run(sse_block(run(random_data(random.Random(size), size)))).to_bytes() == whole_sse_block(raw)


@pytest.mark.parametrize("cut", range(1, 8))
def test_sse_block_decodes_characters_cut_between_parts(cut):
    raw = "é€😀\nx".encode() * 20_000
    assert run(sse_block(Data((raw[:PART + cut], raw[PART + cut:])))).to_bytes() == whole_sse_block(raw)


def test_sse_block_takes_its_bytes_from_the_hold():
    hold = Hold(Budget("t", 10_000, "--t"))
    block = run(sse_block(Data.of(b"\xff" * 1000), hold))
    assert hold.size == block.size - len(b"data: \n")
    with pytest.raises(OverBudget):
        run(sse_block(Data.of(b"\xff" * 4000), hold))


DATA = [None, Data.of(b""), Data.of(b"abc\ndef"), Data((b"x" * (PART + 5), b"\nyz"))]


@pytest.mark.parametrize("kind", ["sse", "chunked"])
@pytest.mark.parametrize("count", [0, 1, 5, 9, 10, 11, 100, 101, 1234])
@pytest.mark.parametrize("data", DATA, ids=["no-body", "empty", "small", "parts"])
def test_a_streams_size_is_the_sum_of_its_pieces(kind, count, data):
    if kind == "sse" and data is not None:
        data = run(sse_block(data))
    stream = Stream(kind, count, "c-é", data)
    assert stream.size == sum(len(chunk) for chunk in stream.chunks())
    assert stream.held == (data.size if data is not None else 0)


def test_a_chunked_stream_splits_its_body_in_count_pieces():
    pieces = [b"".join(piece) for piece in Stream("chunked", 3, None, Data.of(b"abcdefgh")).pieces()]
    assert pieces == [b"abc", b"def", b"gh"]


def test_sse_pieces_repeat_the_block_without_copies_of_the_body():
    block = run(sse_block(Data.of(b"line1")))
    stream = Stream("sse", 2, None, block)
    assert b"".join(stream.chunks()) == b"id: 0\ndata: line1\n\nid: 1\ndata: line1\n\n"
    assert stream.held == block.size  # one block, however many events


def test_data_slices_cross_parts():
    data = Data((b"abc", b"defg", b"h"))
    assert b"".join(data.slice(2, 6)) == b"cdef"
    assert b"".join(data.slice(0, 8)) == b"abcdefgh"


def test_a_hold_gives_back_everything_once():
    budget = Budget("t", 100, "--t")
    hold = Hold(budget)
    hold.take(60)
    with pytest.raises(OverBudget) as refused:
        Hold(budget).take(41)
    assert refused.value.to_json()["store"] == "t" and refused.value.to_json()["held"] == 60
    moved = hold.transfer()
    hold.release()
    assert budget.held == 60
    moved.release()
    moved.release()
    assert budget.held == 0
