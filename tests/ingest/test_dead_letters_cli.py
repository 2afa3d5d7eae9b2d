"""``cityioc dead-letters list|show|replay|purge`` on a real SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from typer.testing import CliRunner

from cityioc.cli import app
from cityioc.core.clock import SystemClock, iso_ms
from cityioc.ingest import dead_letters
from cityioc.store.factory import make_store

TOPIC = "cityioc/default/AirQualityObserved/cli-1/attrs"


def seed(url: str) -> list[int]:
    async def run() -> list[int]:
        store = make_store(url, SystemClock())
        await store.open()
        try:
            return [
                await dead_letters.record(
                    store,
                    tenant="default",
                    source_kind="mqtt",
                    source=TOPIC,
                    reason="malformed_json",
                    detail=f"broken {i}",
                    payload=b'{"pm25": 4',
                    received_at=SystemClock().now_ms(),
                    client_id="cityioc-w0",
                )
                for i in range(2)
            ]
        finally:
            await store.close()

    return asyncio.run(run())


def test_list_show_replay_and_purge(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first, second = seed(url)
    cli = CliRunner()
    db = ["--database-url", url]

    listed = cli.invoke(app, ["dead-letters", "list", *db])
    assert listed.exit_code == 0, listed.output
    assert f"{second}\t" in listed.output and "malformed_json" in listed.output

    shown = cli.invoke(app, ["dead-letters", "show", str(first), *db])
    assert shown.exit_code == 0 and orjson.loads(shown.stdout)["payload"] == '{"pm25": 4'

    unchanged = cli.invoke(app, ["dead-letters", "replay", str(first), *db])
    assert unchanged.exit_code == 1  # still broken

    fixed = tmp_path / "fixed.json"
    fixed.write_bytes(orjson.dumps({"pm25": 4, "observedAt": iso_ms(SystemClock().now_ms())}))
    replayed = cli.invoke(app, ["dead-letters", "replay", str(first), "--payload", str(fixed), *db])
    assert replayed.exit_code == 0, replayed.output
    assert "1 readings stored" in replayed.output

    purged = cli.invoke(app, ["dead-letters", "purge", "--replayed", str(second), *db])
    assert purged.exit_code == 0 and "purged 2" in purged.output
    gone = cli.invoke(app, ["dead-letters", "list", "--status", "purged", *db])
    assert gone.output.count("purged\t") == 2
    assert cli.invoke(app, ["dead-letters", "show", "999", *db]).exit_code == 2
