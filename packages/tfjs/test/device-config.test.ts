import { variable, zeros } from "@tensorflow/tfjs-core";
import { buildPipeline, Pipeline, Registry } from "@tipi/core";
import { describe, expect, it } from "vitest";
import { Device } from "../src/permanences/device.ts";

// What a TOML pipeline's `[permanences.device]` table becomes once parsed.
describe("Device in a config-built pipeline", () => {
  const registry = () => new Registry().registerPermanence("Device", Device);

  it("accepts type = Device with backend and memoryLimit, flat or under params", () => {
    const flat = buildPipeline(
      { permanences: { device: { type: "Device", backend: "auto", memoryLimit: 0.9 } } },
      registry(),
    );
    expect(flat.isOk()).toBe(true);
    const nested = buildPipeline(
      { permanences: { device: { type: "Device", params: { backend: "wasm" } } } },
      registry(),
    );
    expect(nested.isOk()).toBe(true);
  });

  it("reports a bad backend and limit with their key paths, before anything runs", () => {
    const result = buildPipeline(
      { permanences: { device: { type: "Device", backend: "gpu", memoryLimit: 1.5 } } },
      registry(),
    );
    expect(result.isErr()).toBe(true);
    const paths = result.isErr() ? result.error.map((issue) => issue.path.join(".")) : [];
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/device.*backend/),
        expect.stringMatching(/device.*memoryLimit/),
      ]),
    );
  });
});

describe("Device in a DSL pipeline", () => {
  it("is initialised before the steps, which read the backend, and cleaned up after", async () => {
    const events: string[] = [];
    let weights: ReturnType<typeof variable> | undefined;
    const result = await Pipeline.create<{ tag: string }>()
      .provide({ device: () => new Device({ backend: "cpu" }) })
      .stage("read", (state, ctx) => {
        weights = variable(zeros([2]));
        return { ...state, backend: ctx.get("device").backendName };
      })
      .run(
        { tag: "t" },
        {
          onEvent: (e) => {
            if (e.type === "permanence" && e.status === "end") events.push(`${e.phase}:${e.name}`);
          },
        },
      );
    expect(result.isOk() && result.value).toEqual({ tag: "t", backend: "cpu" });
    expect(events).toEqual(["initialize:device", "validate:device", "cleanup:device"]);
    expect(weights?.isDisposed).toBe(true);
  });
});
