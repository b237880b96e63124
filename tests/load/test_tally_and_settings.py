"""The tally's trip from worker to master, and the run settings' parsing."""

from __future__ import annotations

import argparse

import pytest

from conformance.cli.load import parse_duration
from conformance.runs.load.tally import Tally, Fate, merge
from conformance.runs.load.settings import (
    HEADERS_ENV,
    LoadSettings,
    SettingsError,
    add_arguments,
    from_options,
    headers_from_env,
    parse_mix,
)


def test_a_tally_survives_the_wire_and_moves_onto_the_masters_clock() -> None:
    tally = Tally(sources={"worker-a": 0})
    record = tally.sent("async", "a" * 64, 1000.0)
    tally.accepted(record, 1000.5, inference_id="id-1", status_url="http://g/status/m", result_url="http://g/result/m")
    tally.latency("async", 0.004)
    tally.failed(tally.sent("sync", "b" * 64, 1001.0), "sync: HTTP 502")
    wire = tally.to_wire()
    back = Tally.from_wire(wire, received_at=wire["clock"] + 10.0)  # the master's clock is 10 s ahead
    got = back.records["a" * 64]
    assert (got.outcome, got.inference_id, got.status_url) == (Fate.ACCEPTED, "id-1", "http://g/status/m")
    assert got.sent_at == pytest.approx(1010.0) and got.accepted_at == pytest.approx(1010.5)
    assert back.records["b" * 64].outcome is Fate.FAILED
    assert back.errors == {"sync: HTTP 502": 1} and back.latencies == {"async": [0.004]}


def test_merge_keeps_every_process_and_its_count() -> None:
    one, two = Tally(sources={"w1": 0}), Tally(sources={"w2": 0})
    one.sent("sync", "1" * 64, 1.0)
    two.sent("sync", "2" * 64, 1.0)
    two.sent("proxy", "3" * 64, 1.0)
    total = merge([one, two])
    assert len(total.records) == 3 and total.sources == {"w1": 1, "w2": 2}


def test_mix_parsing_names_the_bad_part() -> None:
    assert parse_mix("sync=100").weights == {"async": 0, "proxy": 0, "container": 0, "sync": 100}
    assert str(parse_mix(" async=60, proxy=15,container=10 ,sync=15")) == "async=60,proxy=15,container=10,sync=15"
    for text, word in [("async=1,fast=2", "fast"), ("async=x", "whole number"), ("async=-1", "0 or more"),
                       ("async", "MODE=WEIGHT"), ("async=0", "above 0"), ("sync=1,sync=2", "twice")]:
        with pytest.raises(SettingsError, match=word):
            parse_mix(text)


def test_behaviours_ride_in_the_query_string() -> None:
    settings = LoadSettings(run_id="r1", container_urls=("http://localhost:8000/",), delay=0.5)
    assert settings.container_urls == ("http://localhost:8000",)
    assert settings.query("sync") == "mock-correlation=r1&mock-delay=0.5"
    assert settings.query("container").endswith("&mock-async=task-id")
    assert settings.done_bound == 5.5


def test_locust_options_become_settings_with_a_fresh_run_id() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = parser.parse_args(["--conformance-container-url", "http://127.0.0.1:1 http://127.0.0.1:2",
                                 "--conformance-header", "Authorization: Bearer k", "--conformance-t-done", "9"])
    settings = from_options(options)
    assert settings.run_id.startswith("load-") and options.conformance_run_id == settings.run_id
    assert settings.container_urls == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    assert settings.headers == (("Authorization", "Bearer k"),) and settings.done_bound == 9.0
    with pytest.raises(SettingsError, match="container-url"):
        from_options(parser.parse_args([]))


def test_durations_are_bounded() -> None:
    assert [parse_duration(t) for t in ("4", "4s", "2m", "1h30m", "1m30s")] == [4, 4, 120, 5400, 90]
    for text in ("", "0s", "25h", "soon", "-3"):
        with pytest.raises(SettingsError, match="duration"):
            parse_duration(text)


def test_through_the_gateway_the_mock_is_the_host_and_hears_the_headers() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    options = parser.parse_args(["--conformance-through-gateway", "--conformance-header", "Authorization: Bearer k"])
    options.host = "https://gw.example/my-mock"  # Locust's own --host
    settings = from_options(options)
    assert settings.through_gateway and settings.container_urls == ("https://gw.example/my-mock",)
    assert settings.mock_headers == (("Authorization", "Bearer k"),) and settings.long_poll == 2.0
    # written back, so the master hands it to its workers, which have no --host of their own
    assert options.conformance_container_url == "https://gw.example/my-mock"
    direct = from_options(parser.parse_args(["--conformance-container-url", "http://127.0.0.1:1",
                                             "--conformance-header", "Authorization: Bearer k"]))
    assert direct.mock_headers == () and direct.long_poll is None  # the key never goes to a mock reached directly


def test_the_webhook_url_is_each_mocks_own_sink_unless_a_base_is_given() -> None:
    settings = LoadSettings(run_id="r1", container_urls=("https://gw.example/m", "http://127.0.0.1:9/"))
    assert settings.webhook_url == "/_mock/webhooks/r1"  # every mock delivers to itself
    assert "mock-webhook-url=%2F_mock%2Fwebhooks%2Fr1" in settings.query("proxy")
    based = LoadSettings(run_id="r1", container_urls=("http://127.0.0.1:9",), webhook_base="http://10.0.0.5:8000/")
    assert based.webhook_url == "http://10.0.0.5:8000/_mock/webhooks/r1"


def test_headers_come_from_the_environment_one_per_line() -> None:
    env = {HEADERS_ENV: "Authorization: Bearer k\n\nX-Team: a b\n"}
    assert headers_from_env(env) == ["Authorization: Bearer k", "X-Team: a b"]
    assert headers_from_env({}) == []
