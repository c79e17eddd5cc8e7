import * as core from "@tipi/core";
import * as tfjs from "@tipi/tfjs";
import * as wandb from "@tipi/wandb";
import * as tipi from "tipi";
import { describe, expect, it } from "vitest";

describe("the tipi umbrella", () => {
  // Two packages exporting the same name would make `export *` drop it silently.
  it.each([
    ["@tipi/core", core],
    ["@tipi/tfjs", tfjs],
    ["@tipi/wandb", wandb],
  ])("re-exports every value export of %s", (_name, mod) => {
    const missing = Object.keys(mod).filter((key) => !(key in tipi));
    expect(missing).toEqual([]);
  });

  it("adds the helper layer", () => {
    expect(typeof tipi.progressBar).toBe("function");
    expect(typeof tipi.logger.init).toBe("function");
    expect(typeof tipi.deviceManager.getDevice).toBe("function");
    expect(tipi.pipelineProcess).toBe(core.pipelineProcess);
  });
});
