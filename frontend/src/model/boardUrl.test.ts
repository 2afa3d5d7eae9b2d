import { describe, expect, it } from "vitest";
import { filterQuery } from "../api/alerts";
import { boardFilters } from "./boardUrl";

describe("board filters in the address", () => {
  it("reads the board API's parameters, nothing else", () => {
    expect(boardFilters({ category: "ngap-nuoc", area: "25747", agency: "sxd", severity: "Extreme", overdue: "true" })).toEqual({
      category: "ngap-nuoc",
      area: "25747",
      agency: "sxd",
      severity: "Extreme",
      overdue: true,
    });
    expect(boardFilters({ lang: "en", category: " ", overdue: "no" })).toEqual({});
    expect(boardFilters({ overdue: "1" })).toEqual({ overdue: true });
  });

  it("round-trips through the query the board sends", () => {
    const filters = { category: "ngap-nuoc", agency: "urn:ngsi-ld:Organization:sxd", overdue: true };
    const query = Object.fromEntries(new URLSearchParams(filterQuery(filters)));
    expect(boardFilters(query)).toEqual(filters);
  });
});
