import { describe, expect, it } from "vitest";
import type { TipiEvent } from "../src/index.ts";

describe("workspace", () => {
  it("compiles and runs a test", () => {
    const e: TipiEvent = { type: "log", level: "info", message: "hi" };
    expect(e.type).toBe("log");
  });
});
