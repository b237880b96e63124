"""What the author declares: async styles, where the webhook URL goes, and the id fields CT-ASYNC-02 looks for."""

from __future__ import annotations

import json

import pytest

from conformance.checks.container_context import Accepted
from conformance.checks.container_modes import same_shape
from conformance.checks.container_side import identifier_fields
from conformance.judge.container_config import ContainerConfig, ContainerUsageError, parse_supports
from conformance.judge.selection import Selection, SelectionError
from conformance.runs.container.launch import ContainerCommand, fill, parse_env


def test_supports_is_comma_separated_and_repeatable() -> None:
    assert parse_supports(["fire-and-forget,task-id"]) == {"fire-and-forget", "task-id"}
    assert parse_supports(["Task-Id", "none"]) == {"task-id"}
    assert parse_supports([]) == frozenset()
    with pytest.raises(ContainerUsageError, match="--supports ack"):
        parse_supports(["ack"])


def test_the_webhook_url_goes_into_a_copy_of_the_body_or_a_header() -> None:
    body = json.dumps({"prompt": "hi", "webhook_url": None}).encode()
    by_field = ContainerConfig(url="http://c", body=body, webhook_field="webhook_url", supports=frozenset({"fire-and-forget"}))
    sent, headers = by_field.with_webhook("http://sink/hooks/k")
    assert json.loads(sent) == {"prompt": "hi", "webhook_url": "http://sink/hooks/k"} and headers == []
    assert by_field.body == body  # the sample itself is not changed
    by_header = ContainerConfig(url="http://c", webhook_header="X-Callback", supports=frozenset({"fire-and-forget"}))
    assert by_header.with_webhook("http://sink/hooks/k") == (by_header.body, [("X-Callback", "http://sink/hooks/k")])


def test_a_container_run_has_no_d_and_its_own_t_done_default() -> None:
    config = ContainerConfig(url="http://c")
    assert config.t_done == 7.0 and "D" not in config.parameters()
    assert ContainerConfig(url="http://c", t_done_override=2).t_done == 2


def test_identifier_fields_are_json_strings_and_numbers_at_any_depth() -> None:
    document = {"task_id": "a1", "n": 3, "ok": True, "empty": "", "none": None, "job": {"id": 42, "tags": ["x"]}}
    assert identifier_fields(document) == {"task_id": "a1", "n": 3, "job.id": 42}
    assert identifier_fields("abc") == {"(body)": "abc"}
    assert identifier_fields([1, 2]) == {}


def test_selection_knows_its_kind() -> None:
    container = Selection.make(["ct-async"], kind="container")
    assert container.covers("CT-ASYNC-01") and not container.covers("CT-SYNC-01")
    assert not Selection.make(kind="container").covers("GW-SYNC-01")
    assert not Selection.make().covers("CT-SYNC-01")
    with pytest.raises(SelectionError, match="no container requirement ID"):
        Selection.make(["GW-"], kind="container")


def test_where_the_container_learns_its_webhook_url() -> None:
    fire = frozenset({"fire-and-forget"})
    assert ContainerConfig(url="http://c", webhook_field="cb", supports=fire).webhook_mode == "request"
    assert ContainerConfig(url="http://c", webhook_header="X-Cb", supports=fire).webhook_mode == "request"
    assert ContainerConfig(url="http://c", supports=fire).webhook_mode == "deploy-time"
    assert ContainerConfig(url="http://c", supports=frozenset({"task-id"})).webhook_mode == "none"


def test_calls_to_a_deploy_time_target_are_matched_by_order_past_the_surplus() -> None:
    book = Accepted()
    assert [book.add("a"), book.add("b")] == [1, 2]
    book.surplus += 1  # a call for no request was seen (and reported): the matching skips it
    assert book.add("c") == 4 and book.calls_expected == 4 and len(book) == 3


def test_the_container_command_and_its_environment_are_filled_in() -> None:
    command = ContainerCommand("app --port {port} --hook {sink_url} --json '{{}}'", parse_env(["WEBHOOK={sink_url}",
                                                                                              "PORT={port}", "A=b=c"]))
    server = command.server("http://127.0.0.1:9/_mock/webhooks/container")
    assert server.command() == ["app", "--port", str(server.port), "--hook", "http://127.0.0.1:9/_mock/webhooks/container",
                                "--json", "{}"]
    assert server.env == {"WEBHOOK": "http://127.0.0.1:9/_mock/webhooks/container", "PORT": str(server.port), "A": "b=c"}
    with pytest.raises(ContainerUsageError, match=r"--container-env 'x y=1': expected NAME=VALUE"):
        parse_env(["x y=1"])
    with pytest.raises(ContainerUsageError, match=r"--url 'http://h:\{other\}': only \{port\} can be filled in"):
        fill("http://h:{other}", "--url", port="1")


def test_the_container_s_own_answer_has_the_same_shape_when_only_its_ids_differ() -> None:
    assert same_shape(b'{"task_id": "a"}', b'{"task_id": "b"}')
    assert same_shape(b"accepted", b"accepted")
    assert not same_shape(b'{"task_id": "a"}', b'{"Id": "a", "StatusPath": "/status/x"}')
    assert not same_shape(b"[1]", b"[2]") and not same_shape(b"a", b"b")
