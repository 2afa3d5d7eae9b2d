import { describe, expect, it } from "vitest";
import { type AuditWords, auditChanges, plainName } from "./auditText";

const words: AuditWords = {
  lang: "vi",
  label: (name) => ({ status: "Trạng thái", refAgency: "Đơn vị xử lý", acknowledgedAt: "Xác nhận lúc" })[name] ?? name,
  status: (v) => ({ new: "Mới", acknowledged: "Đã xác nhận" })[v] ?? v,
  severity: (v) => `sev:${v}`,
  time: (ms) => new Date(ms).toISOString().slice(11, 16),
  number: (v) => String(v).replace(".", ","),
  agency: (id) => `agency:${id.split(":").pop()}`,
  category: (code) => (code === "ngap-nuoc" ? "Ngập nước" : code),
  area: (code) => `area:${code}`,
  yesNo: (v) => (v ? "Có" : "Không"),
  choice: (name, v) => (name === "source" && v === "manual" ? "Nhập tay" : v),
  steps: (n) => `${n} bước`,
  step: (n, title, state) => `Bước ${n} · ${title}: ${state}`,
};

describe("audit trail in words", () => {
  it("names attributes and formats statuses, times and agencies", () => {
    const detail = {
      before: { status: "new", acknowledgedAt: null, nextDueAt: "2026-11-25T10:15:00Z" },
      after: { status: "acknowledged", acknowledgedAt: "2026-11-25T10:05:00Z", nextDueAt: "2026-11-25T14:00:00Z" },
    };
    expect(auditChanges(detail, words)).toEqual([
      { name: "status", label: "Trạng thái", before: "Mới", after: "Đã xác nhận" },
      { name: "acknowledgedAt", label: "Xác nhận lúc", before: null, after: "10:05" },
    ]);
  });

  it("reads expanded attribute names and references", () => {
    expect(plainName("https://uri.etsi.org/ngsi-ld/default-context/refIncident")).toBe("refIncident");
    expect(plainName("status")).toBe("status");
    const detail = {
      before: { "https://uri.etsi.org/ngsi-ld/default-context/refAgency": "urn:ngsi-ld:Organization:stnmt" },
      after: { "https://uri.etsi.org/ngsi-ld/default-context/refAgency": "urn:ngsi-ld:Organization:cong-an" },
    };
    const [change] = auditChanges(detail, words);
    expect(change).toMatchObject({ label: "Đơn vị xử lý", before: "agency:stnmt", after: "agency:cong-an" });
    const linked = auditChanges({ before: { refAlerts: ["urn:ngsi-ld:Alert:a"] }, after: { refAlerts: ["urn:ngsi-ld:Alert:a", "urn:ngsi-ld:Alert:b"] } }, words);
    expect(linked[0]).toMatchObject({ before: "a", after: "a, b" });
  });

  it("tells a procedure's start, and then only the steps that moved", () => {
    const steps = (second: string) => [
      { n: 1, title: { vi: "Cảnh báo người dân" }, status: "done" },
      { n: 2, title: { vi: "Đóng hầm chui", en: "Close the underpass" }, status: second },
    ];
    expect(auditChanges({ before: {}, after: { activities: steps("pending"), source: "manual", category: "ngap-nuoc" } }, words)).toEqual([
      { name: "category", label: "category", before: null, after: "Ngập nước" },
      { name: "activities", label: "activities", before: null, after: "2 bước" },
      { name: "source", label: "source", before: null, after: "Nhập tay" },
    ]);
    const skipped = auditChanges({ before: { activities: steps("pending") }, after: { activities: steps("skipped") } }, words);
    expect(skipped[0]).toMatchObject({ before: "Bước 2 · Đóng hầm chui: pending", after: "Bước 2 · Đóng hầm chui: skipped" });
  });

  it("shows titles, booleans, numbers, places and the newest comment", () => {
    const detail = {
      before: {},
      after: {
        title: { vi: "Ngập", en: "Flood" },
        slaBreached: false,
        count: 2.5,
        location: { type: "Point", coordinates: [106.655, 10.985] },
        comments: [{ text: "một" }, { text: "hai" }],
        capSeverity: "Severe",
      },
    };
    const byName = Object.fromEntries(auditChanges(detail, words).map((c) => [c.name, c.after]));
    expect(byName).toEqual({
      title: "Ngập",
      slaBreached: "Không",
      count: "2,5",
      location: "10,985, 106,655",
      comments: "“hai”",
      capSeverity: "sev:Severe",
    });
    expect(auditChanges(null, words)).toEqual([]);
  });
});
