import { describe, expect, it } from "vitest";
import { parseEntity } from "./entity";
import { Feed, MAX_ITEMS } from "./feed";
import { look } from "./looks";
import type { Change } from "./store";

function change(i: number, from: string | null, to: string): Change {
  const entity = parseEntity({ id: `urn:ngsi-ld:Streetlight:${i}`, type: "Streetlight" });
  return {
    entity,
    before: from === null ? null : look(from, 0, "#000"),
    after: look(to, 0, "#000"),
  };
}

describe("feed", () => {
  it("lists state changes and rolls routine updates into one line", () => {
    const feed = new Feed();
    feed.add([change(1, "light-on", "light-on"), change(2, "light-on", "light-fault")], 1000);
    feed.add([change(3, "light-on", "light-on"), change(4, null, "light-on")], 1500);
    const items = feed.items.value;
    expect(items.map((i) => i.kind)).toEqual(["change", "updates"]);
    expect(items[1].count).toBe(3);
    expect(items[0]).toMatchObject({ from: "light-on", to: "light-fault", layer: "streetlight" });
  });

  it("stays bounded under a burst and holds events while paused", () => {
    const feed = new Feed();
    for (let i = 0; i < 1000; i++) feed.add([change(i, "light-on", "light-fault")], i);
    expect(feed.items.value.length).toBe(MAX_ITEMS);
    feed.pause();
    const shown = feed.items.value;
    feed.add([change(1, "light-fault", "light-on")], 2000);
    expect(feed.items.value).toBe(shown);
    expect(feed.held.value).toBe(1);
    feed.resume();
    expect(feed.items.value[0].to).toBe("light-on");
  });
});
