import { describe, expect, it } from "vitest";
import { alertFilters, alertsHref } from "./alertsUrl";

describe("the alerts page's address", () => {
  it("reads filters, active alerts by default", () => {
    expect(alertFilters({})).toEqual({ status: "active" });
    expect(alertFilters({ status: "any", area: "Phường Thủ Dầu Một", id: "x" })).toEqual({ area: "Phường Thủ Dầu Một" });
    expect(alertFilters({ status: "cleared", severity: " high " })).toEqual({ status: "cleared", severity: "high" });
  });

  it("writes them back with the selected alert", () => {
    expect(alertsHref({ status: "active" })).toBe("/alerts");
    expect(alertsHref({}, "urn:a")).toBe("/alerts?status=any&id=urn%3Aa");
    const href = alertsHref({ status: "active", area: "Phường Thủ Dầu Một" });
    expect(alertFilters(Object.fromEntries(new URL(href, "http://x").searchParams))).toEqual({
      status: "active",
      area: "Phường Thủ Dầu Một",
    });
  });
});
