import { describe, expect, it } from "vitest";
import { formatDateTime, formatNumber, formatValue } from "./format";

const at = Date.parse("2026-11-25T10:05:00Z"); // 17:05 in Asia/Ho_Chi_Minh

describe("formats", () => {
  it("writes numbers the Vietnamese and the English way", () => {
    expect(formatNumber(1234567.8, "vi")).toBe("1.234.567,8");
    expect(formatNumber(1234567.8, "en")).toBe("1,234,567.8");
  });

  it("writes local dates and times", () => {
    expect(formatDateTime(at, "vi")).toBe("25/11/2026 17:05");
    expect(formatDateTime(at, "en")).toBe("25 Nov 2026 17:05");
  });

  it("shows units", () => {
    expect(formatValue("pm25", 35.55, "GQ", "vi")).toBe("35,6 µg/m³");
    expect(formatValue("intensity", 1520, undefined, "vi")).toBe("1.520 xe/giờ");
    expect(formatValue("occupancy", 0.83, "C62", "en")).toBe("83 %");
    expect(formatValue("pm25", 65, undefined, "en")).toBe("65 µg/m³"); // SDM default unit
  });
});
