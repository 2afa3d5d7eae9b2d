import { describe, expect, it } from "vitest";
import {
  alertSeverity,
  alertTitle,
  changedKeys,
  countdown,
  formatMinutes,
  formatSpan,
  localText,
  nextDeadline,
  recordText,
  shortId,
} from "./incidents";

const now = Date.parse("2026-11-25T10:00:00Z");
const min = 60_000;

describe("SLA countdown", () => {
  it("says how long is left, in both languages", () => {
    expect(countdown(now + 45 * min, now, "vi")).toEqual({ overdue: false, text: "còn 45 phút" });
    expect(countdown(now + 125 * min, now, "en")).toEqual({ overdue: false, text: "2 h 05 min left" });
    expect(countdown(now + 125 * min, now, "vi").text).toBe("còn 2 giờ 05 phút");
  });

  it("turns overdue once the deadline has passed", () => {
    expect(countdown(now - 12 * min, now, "vi")).toEqual({ overdue: true, text: "quá hạn 12 phút" });
    expect(countdown(now - 12 * min, now, "en")).toEqual({ overdue: true, text: "12 min overdue" });
    expect(countdown(now, now, "en").overdue).toBe(false); // due this very moment: not yet late
  });

  it("shows days and hours for long spans, never seconds", () => {
    expect(formatSpan(27 * 60 * min + 59_000, "vi")).toBe("1 ngày 3 giờ");
    expect(formatSpan(2 * 24 * 60 * min, "en")).toBe("2 d");
    expect(formatSpan(59_000, "en")).toBe("0 min");
    expect(formatMinutes(90, "en")).toBe("1 h 30 min");
    expect(formatMinutes(15, "vi")).toBe("15 phút");
    expect(formatMinutes(240, "vi")).toBe("4 giờ");
  });
});

describe("deadline of a card", () => {
  const sla = { acknowledgeDueAt: "2026-11-25T10:15:00Z", dueAt: "2026-11-25T16:00:00Z" };
  it("counts to acknowledging while new, then to resolving", () => {
    expect(nextDeadline({ status: "new", sla })).toEqual({ kind: "acknowledge", at: Date.parse(sla.acknowledgeDueAt) });
    expect(nextDeadline({ status: "inProgress", sla })).toEqual({ kind: "resolve", at: Date.parse(sla.dueAt) });
  });
  it("has none once resolved, or without deadlines", () => {
    expect(nextDeadline({ status: "resolved", sla })).toBeNull();
    expect(nextDeadline({ status: "acknowledged", sla: { acknowledgeDueAt: null, dueAt: null } })).toBeNull();
  });
});

describe("texts", () => {
  it("picks the viewer's language, else the other", () => {
    expect(localText({ vi: "Ngập", en: "Flood" }, "en")).toBe("Flood");
    expect(localText({ vi: "Ngập" }, "en")).toBe("Ngập");
    expect(localText("plain", "vi")).toBe("plain");
    expect(localText(null, "vi")).toBe("");
  });

  it("finds an alert's title wherever the source put it", () => {
    expect(alertTitle({ id: "a", title: { vi: "Ngập", en: "Flood" } }, "vi")).toBe("Ngập");
    expect(alertTitle({ id: "a", titleVi: "Ngập", titleEn: "Flood" }, "en")).toBe("Flood");
    expect(alertTitle({ id: "a", name: "Tên" }, "en")).toBe("Tên");
    expect(alertTitle({ id: "urn:x" }, "en")).toBe("urn:x");
  });

  it("maps alert severities onto the CAP ramp", () => {
    expect(alertSeverity({ capSeverity: "Extreme", severity: "low" })).toBe("Extreme");
    expect(alertSeverity({ severity: "high" })).toBe("Severe");
    expect(alertSeverity({})).toBe("Unknown");
  });

  it("writes recorded values and changed attributes", () => {
    expect(recordText(["sms", "loa"])).toBe("sms, loa");
    expect(recordText(3)).toBe("3");
    expect(recordText({ a: 1 })).toBe('{"a":1}');
    expect(changedKeys({ before: { status: "new" }, after: { status: "acknowledged", acknowledgedAt: "x" } })).toEqual([
      "status",
      "acknowledgedAt",
    ]);
    expect(changedKeys(null)).toEqual([]);
    expect(shortId("urn:ngsi-ld:Organization:ubnd-25747")).toBe("ubnd-25747");
  });
});
