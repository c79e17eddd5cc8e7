// A permanence built in TypeScript with a bad option throws a message a person reads: the
// class, the key and what it takes. zod's own error message is its issues as JSON, which
// `tipi run pipeline.ts` printed as it was ("permanence "device" failed to create: [ { … } ]").
import { describe, expect, it } from "vitest";
import { Data, Device, Hyperparameters, mlp, Network } from "../src/index.ts";

describe("constructor options", () => {
  it.each([
    [
      () => new Device({ workers: 0 }),
      'Device: workers: expected "auto" or a positive integer (1: no worker threads)',
    ],
    [() => new Hyperparameters({ epochs: -1 }), /^Hyperparameters: epochs: /],
    [() => new Data({ trainLimit: 1.5 }), /^Data: trainLimit: /],
    [() => new Network({ build: mlp, numClasses: 0 }), /^Network: numClasses: /],
  ])("%#: names the class and the key, no JSON", (build, message) => {
    expect(build).toThrow(message);
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).not.toContain('"code"');
    }
  });
});

describe("Network's architecture is checked with the config", () => {
  it("an unknown name is a config problem (tipi validate, its line), with the name meant", async () => {
    // it passed validation and failed the run later: 'permanence "network" failed to validate'
    const result = await Network.params["~standard"].validate({ architecture: "mlpp" });
    expect("issues" in result && result.issues?.map((i) => [i.path, i.message])).toEqual([
      [
        ["architecture"],
        'unknown architecture "mlpp": did you mean "mlp"? (built in: small-cnn, mlp)',
      ],
    ]);
    const ok = await Network.params["~standard"].validate({ architecture: "small-cnn" });
    expect("issues" in ok ? ok.issues : undefined).toBeUndefined();
  });
});
