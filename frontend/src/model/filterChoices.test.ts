import { describe, expect, it } from "vitest";
import { agencyValue, choiceGroups } from "./filterChoices";

const flood = {
  value: "ngap-nuoc",
  name: { vi: "Ngập nước", en: "Flooding" },
  group: { vi: "Hạ tầng đô thị", en: "Urban infrastructure" },
};
const air = {
  value: "o-nhiem-khong-khi",
  name: { vi: "Ô nhiễm không khí", en: "Air pollution" },
  group: { vi: "Môi trường", en: "Environment" },
};
const roads = {
  value: "hu-hong-duong",
  name: { vi: "Hư hỏng mặt đường", en: "Road damage" },
  group: { vi: "Hạ tầng đô thị", en: "Urban infrastructure" },
};

describe("board filter choices", () => {
  it("groups options by name in the page's language, in the choices' order", () => {
    expect(choiceGroups([flood, air, roads], "vi")).toEqual([
      {
        label: "Hạ tầng đô thị",
        options: [
          { value: "ngap-nuoc", label: "Ngập nước" },
          { value: "hu-hong-duong", label: "Hư hỏng mặt đường" },
        ],
      },
      { label: "Môi trường", options: [{ value: "o-nhiem-khong-khi", label: "Ô nhiễm không khí" }] },
    ]);
    expect(choiceGroups([air], "en")[0]).toEqual({
      label: "Environment",
      options: [{ value: "o-nhiem-khong-khi", label: "Air pollution" }],
    });
  });

  it("lists choices without groups as one list", () => {
    const areas = [
      { value: "25747", name: { vi: "Phường Thủ Dầu Một", en: "Thủ Dầu Một Ward" } },
      { value: "25750", name: { vi: "Phường Phú Lợi", en: "" } },
    ];
    expect(choiceGroups(areas, "en")).toEqual([
      {
        label: null,
        options: [
          { value: "25747", label: "Thủ Dầu Một Ward" },
          { value: "25750", label: "25750" }, // no English name: its code
        ],
      },
    ]);
  });

  it("keeps a filter value the choices do not hold, first and by its code", () => {
    const groups = choiceGroups([flood], "vi", "retired-code");
    expect(groups[0]).toEqual({ label: null, options: [{ value: "retired-code", label: "retired-code" }] });
    expect(groups).toHaveLength(2);
    expect(choiceGroups([flood], "vi", "ngap-nuoc")).toHaveLength(1);
    expect(choiceGroups([], "vi", "")).toEqual([]);
  });

  it("spells an agency as the choices do", () => {
    expect(agencyValue("sxd")).toBe("urn:ngsi-ld:Organization:sxd");
    expect(agencyValue("urn:ngsi-ld:Organization:sxd")).toBe("urn:ngsi-ld:Organization:sxd");
    expect(agencyValue("")).toBeUndefined();
    expect(agencyValue(undefined)).toBeUndefined();
  });
});
