import { describe, expect, it } from "vitest";
import type { Agency } from "../api/admin";
import { agencyBody, moveItem, ruleScope, splitCodes } from "./admin";

describe("admin helpers", () => {
  it("reads comma-separated codes", () => {
    expect(splitCodes(" 74, 25747 ,,79 ")).toEqual(["74", "25747", "79"]);
    expect(splitCodes("")).toEqual([]);
  });

  it("says what a rule watches", () => {
    expect(ruleScope({ scope: { types: ["FloodMonitoring"], areas: ["Dĩ An"] } })).toBe("FloodMonitoring, Dĩ An");
    expect(ruleScope({ kind: "combination" })).toBe("—");
  });

  it("moves a step up and down within the list", () => {
    expect(moveItem(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveItem(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
  });

  it("sends an agency back without problems and without empty contacts", () => {
    const draft: Agency = {
      id: "sxd",
      kind: "department",
      name: { vi: "Sở Xây dựng", en: "Department of Construction" },
      areas: ["74"],
      categories: ["ngap-nuoc"],
      email: "  ",
      phone: " 1022 ",
      problems: ["old"],
    };
    const body = agencyBody(draft, "74, 79");
    expect(body).toEqual({
      id: "sxd",
      kind: "department",
      name: draft.name,
      areas: ["74", "79"],
      categories: ["ngap-nuoc"],
      phone: "1022",
    });
    expect("problems" in body).toBe(false);
  });
});
