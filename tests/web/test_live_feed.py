"""The live feed's stream ends when its reader is cancelled, even as a change arrives.

On Python 3.11 ``asyncio.wait_for`` swallowed a cancellation that came in the loop turn after the
awaited ``queue.get()`` finished: the stream then went on waiting for the next change and the
server's disconnect handling (which cancels and awaits it) hung.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from cityioc.hub.models import Mutation
from cityioc.web.live import ChangeFeed


async def test_a_cancel_that_meets_a_change_still_ends_the_stream() -> None:
    feed = ChangeFeed(render=lambda e: {"id": e.id})
    ready = asyncio.Event()

    async def read() -> None:
        async for message in feed.stream(lambda tenant, entity: True, heartbeat_s=60):
            if message["event"] == "ready":
                ready.set()

    reader = asyncio.create_task(read())
    await ready.wait()
    await asyncio.sleep(0)  # the reader is now waiting on its queue
    feed.publish("t", "actor", Mutation(deletes=["urn:ngsi-ld:Thing:1"]))
    # Two turns: the change is taken from the queue and handed on, but the reader has not run yet
    # (the moment wait_for lost the cancellation in).
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.wait({reader}, timeout=2)
    assert reader.done(), "the stream swallowed the cancellation and waits for the next change"
    assert reader.cancelled()
    assert feed.subscriber_count == 0


async def test_the_stream_sends_a_heartbeat_when_nothing_changes() -> None:
    feed = ChangeFeed(render=lambda e: {"id": e.id})
    stream = feed.stream(lambda tenant, entity: True, heartbeat_s=0.01)
    assert (await anext(stream))["event"] == "ready"
    assert (await anext(stream))["event"] == "heartbeat"
    feed.publish("t", "actor", Mutation(deletes=["urn:ngsi-ld:Thing:1"]))
    message = await anext(stream)
    assert message["event"] == "deleted"
    assert '"urn:ngsi-ld:Thing:1"' in message["data"]
    assert isinstance(stream, AsyncGenerator)
    await stream.aclose()
    assert feed.subscriber_count == 0
