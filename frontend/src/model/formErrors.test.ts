import { describe, expect, it } from "vitest";
import { formErrors } from "./formErrors";

const FIELDS = ["title", "category", "area", "description"];

describe("server errors beside their fields", () => {
  it("splits validation problems by field", () => {
    const detail = "title: Value error, a title has at most 200 characters; description: String should have at most 4000 characters";
    expect(formErrors(detail, FIELDS)).toEqual({
      fields: {
        title: "Value error, a title has at most 200 characters",
        description: "String should have at most 4000 characters",
      },
      other: null,
    });
  });

  it("puts routing's unknown codes on their field and keeps the rest", () => {
    expect(formErrors("unknown area '99999'", FIELDS)).toEqual({ fields: { area: "unknown area '99999'" }, other: null });
    expect(formErrors("unknown procedure 'nope'", [...FIELDS, "sop"]).fields).toEqual({ sop: "unknown procedure 'nope'" });
    expect(formErrors("role agency may not do this (allowed: admin, operator)", FIELDS)).toEqual({
      fields: {},
      other: "role agency may not do this (allowed: admin, operator)",
    });
    expect(formErrors("capUrgency: Input should be 'Immediate'", FIELDS).other).toBe("capUrgency: Input should be 'Immediate'");
  });
});
