import { describe, expect, it } from "vitest";
import { lonLatText, pointOf } from "./lonLat";

describe("lonLatText", () => {
  it("writes latitude first, in the reader's format, with hemispheres", () => {
    expect(lonLatText(106.655, 10.985, "en")).toBe("10.98500° N, 106.65500° E");
    expect(lonLatText(106.655, 10.985, "vi")).toBe("10,98500° B, 106,65500° Đ");
    expect(lonLatText(-0.5, -1.25, "en")).toBe("1.25000° S, 0.50000° W");
  });
});

describe("pointOf", () => {
  it("takes a Point's coordinates only", () => {
    expect(pointOf({ type: "Point", coordinates: [106.6, 10.9] })).toEqual([106.6, 10.9]);
    expect(pointOf({ type: "LineString", coordinates: [[1, 2], [3, 4]] })).toBeNull();
    expect(pointOf(null)).toBeNull();
  });
});
