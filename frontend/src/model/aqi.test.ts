import { describe, expect, it } from "vitest";
import { aqiCategory, subIndex, vnAqi } from "./aqi";

describe("VN_AQI", () => {
  it("maps PM2.5 breakpoints continuously", () => {
    expect(subIndex("pm25", 25)).toBe(50);
    expect(subIndex("pm25", 37.5)).toBe(75);
    expect(subIndex("pm25", 50)).toBe(100);
    expect(subIndex("pm25", 110)).toBeCloseTo(171.4, 1);
  });

  it("takes the worst pollutant and needs PM", () => {
    expect(vnAqi({ pm25: 20, no2: 150 })).toBe(75);
    expect(vnAqi({ no2: 150 })).toBeNull();
    expect(vnAqi({ pm25: 700 })).toBe(501);
  });

  it("puts the boundaries in the lower category", () => {
    expect(aqiCategory(50).key).toBe("good");
    expect(aqiCategory(51).key).toBe("moderate");
    expect(aqiCategory(150).key).toBe("poor");
    expect(aqiCategory(171).key).toBe("bad");
    expect(aqiCategory(301).key).toBe("hazardous");
  });
});
