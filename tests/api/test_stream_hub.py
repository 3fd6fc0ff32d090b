"""The stream hub in-process: a slow client drops (and is told) without holding back a fast one;
per-client rates; history and resume without duplicates. Publishers are real threads."""

from __future__ import annotations

import asyncio
import threading
import time

from embedded_api.stream.hub import Channel


def _publish_from_thread(channel: Channel, n: int, type_: str = "log", hz: float | None = None) -> threading.Thread:
    def run() -> None:
        for i in range(n):
            channel.publish(type_, {"i": i}, plain=lambda v: v)
            if hz:
                time.sleep(1.0 / hz)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_slow_client_drops_and_is_told_while_a_fast_one_gets_everything() -> None:
    async def main() -> None:
        channel = Channel("t", queue_size=8)
        fast, _ = channel.connect("ws", 50)
        slow, _ = channel.connect("ws", 50)
        got: list[int] = []

        async def read_fast() -> None:
            deadline = time.monotonic() + 5
            while len(got) < 200 and time.monotonic() < deadline:
                got.extend(e.data()["i"] for e in await fast.get(timeout_s=1))

        reader = asyncio.create_task(read_fast())
        thread = _publish_from_thread(channel, 200, hz=1000)  # from a "link thread"
        await reader
        thread.join()
        assert got == list(range(200))
        late = await slow.get(timeout_s=1)  # never read until now: only the newest 8 are left
        assert [e.data()["i"] for e in late] == list(range(192, 200))
        assert slow.dropped == 192 and slow.take_drops() == 192 and slow.take_drops() == 0
        assert fast.dropped == 0
        stats = channel.stats()
        assert stats["messages_dropped"] == 192 and stats["clients"] == 2 and stats["events_published"] == 200

    asyncio.run(main())


def test_throttled_types_follow_each_clients_rate_and_end_on_the_newest() -> None:
    async def main() -> None:
        channel = Channel("t", throttled=("telemetry",), queue_size=64)
        ten, _ = channel.connect("sse", 10)
        fifty, _ = channel.connect("ws", 50)
        started = time.monotonic()
        thread = _publish_from_thread(channel, 100, "telemetry", hz=200)  # ~0.5 s at 200 Hz (longer when loaded)
        await asyncio.to_thread(thread.join)
        took = time.monotonic() - started
        await asyncio.sleep(0.3)  # let the trailing-edge timers fire
        slow = [e.data()["i"] for e in await ten.get(timeout_s=1)]
        quick = [e.data()["i"] for e in await fifty.get(timeout_s=1)]
        # one per period of the time the values kept coming, plus the first and the trailing newest
        assert 0.7 * 10 * took <= len(slow) <= 10 * took + 2, (slow, took)
        assert 0.6 * 50 * took <= len(quick) <= 50 * took + 2, (quick, took)
        assert slow[-1] == quick[-1] == 99  # the last value is never held back
        assert slow == sorted(slow) and ten.dropped == 0

    asyncio.run(main())


def test_history_and_resume_give_the_ring_without_duplicates() -> None:
    async def main() -> None:
        channel = Channel("t", throttled=("telemetry",), ring_size=100, ring_rate_hz=1000)
        for i in range(5):
            channel.publish("log", {"i": i}, plain=lambda v: v)
        client, history = channel.connect("ws", 50, history=3)
        assert [e.data()["i"] for e in history] == [2, 3, 4] and client.after_id == 5
        channel.publish("log", {"i": 5}, plain=lambda v: v)
        live = await client.get(timeout_s=1)
        assert [e.id for e in live] == [6]
        resumed, backlog = channel.connect("sse", 50, after_id=3)
        assert [e.id for e in backlog] == [4, 5, 6]
        assert await resumed.get(timeout_s=0.05) == []  # nothing is delivered twice
        channel.disconnect(client)
        assert channel.stats()["clients"] == 1 and client.closed

    asyncio.run(main())


def test_publishing_after_the_loop_has_gone_is_harmless() -> None:
    channel = Channel("t")

    async def connect() -> None:
        channel.connect("ws", 10)

    asyncio.run(connect())  # the loop is closed when this returns; the client is still registered
    channel.publish("log", {}, plain=lambda v: v)
    channel.publish("log", {}, plain=lambda v: v)
    assert channel.stats()["events_published"] == 2


def test_hub_json_of_vehicle_states_equals_the_plain_stdlib_encoding() -> None:
    """The orjson fast path (dataclasses walked by orjson) gives the JSON ``to_plain`` + stdlib gives,
    on states of every real log (copter, plane, rover, sub) and on states carrying NaN and infinity
    (a vehicle can send them in any float field)."""
    import dataclasses
    import json

    from embedded_api.stream.events import HubEvent
    from gcs.core.logs.index import TlogIndex
    from gcs.core.mavlink_env import mavlink
    from gcs.core.serialize import to_plain
    from gcs.core.vehicle.reducer import initial_state, reduce
    from tests.conftest import SHARED_DATA

    fresh = initial_state(1, 1)
    fresh = dataclasses.replace(
        fresh, attitude=dataclasses.replace(fresh.attitude, roll_rad=float("nan"), yaw_rad=float("-inf"))
    )
    states = [fresh]
    for path in sorted((SHARED_DATA / "tlogs").glob("*.tlog")):
        index, parser, state = TlogIndex(path), mavlink.MAVLink(None), None
        parser.robust_parsing = True
        try:
            for i in range(0, len(index)):
                for msg in parser.parse_buffer(index.frame(i)) or ():
                    if msg.get_type() == "HEARTBEAT" and state is None and msg.type != mavlink.MAV_TYPE_GCS:
                        state = initial_state(msg.get_srcSystem(), msg.get_srcComponent())
                    if state is not None and msg.get_srcSystem() == state.system_id:
                        state = reduce(state, msg, index.times_us[i] / 1e6)
                if state is not None and i % max(1, len(index) // 40) == 0:
                    states.append(state)
        finally:
            index.close()
    assert len(states) > 150
    for n, state in enumerate(states):
        event = HubEvent(n, "telemetry", state, 1712345678.25)
        expected = json.dumps(
            {"type": "telemetry", "id": n, "time": 1712345678.25, "data": to_plain(state)}, allow_nan=False
        )
        assert json.loads(event.json()) == json.loads(expected), n
    attitude = json.loads(HubEvent(0, "telemetry", fresh, 1.0).json())["data"]["attitude"]
    assert attitude["roll_rad"] is None and attitude["yaw_rad"] is None  # null, as to_plain makes them
