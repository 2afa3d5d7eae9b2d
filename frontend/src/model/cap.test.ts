import { describe, expect, it } from "vitest";
import en from "../i18n/en.json";
import vi from "../i18n/vi.json";
import { CAP_VALUES, type CapField, capKey } from "./cap";

describe("CAP values", () => {
  it("names the message of a standard value", () => {
    expect(capKey("severity", "Extreme")).toBe("cap.severity.Extreme");
    expect(capKey("category", "Infra")).toBe("cap.category.Infra");
    expect(capKey("certainty", "Observed")).toBe("cap.certainty.Observed");
  });

  it("has none for a value outside the set, a value of another field, or nothing", () => {
    expect(capKey("severity", "extreme")).toBeNull();
    expect(capKey("severity", "Observed")).toBeNull();
    expect(capKey("urgency", "Soon")).toBeNull();
    expect(capKey("category", "")).toBeNull();
    expect(capKey("category", null)).toBeNull();
  });

  it("has every value in Vietnamese and English", () => {
    for (const messages of [vi, en] as { cap: Record<string, Record<string, string>> }[]) {
      for (const field of Object.keys(CAP_VALUES) as CapField[]) {
        for (const value of CAP_VALUES[field]) {
          expect(messages.cap[field]?.[value], `${field} ${value}`).toBeTruthy();
        }
      }
    }
    expect(vi.cap.severity.Extreme).not.toBe(en.cap.severity.Extreme);
  });
});
