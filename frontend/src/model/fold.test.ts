import { describe, expect, it } from "vitest";
import { fold, matches } from "./fold";

describe("fold", () => {
  it("finds Vietnamese names with and without diacritics", () => {
    expect(fold("Thuận An")).toBe("thuan an");
    expect(fold("Đường Mỹ Phước – Tân Vạn")).toBe("duong my phuoc – tan van");
    expect(matches("Trạm quan trắc Dĩ An", "di an")).toBe(true);
    expect(matches("Trạm quan trắc Dĩ An", "Dĩ An trạm")).toBe(true);
    expect(matches("Trạm quan trắc Dĩ An", "thuan")).toBe(false);
  });
});
