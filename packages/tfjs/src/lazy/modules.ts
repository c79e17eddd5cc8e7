import { createRequire } from "node:module";
import type * as TfCore from "@tensorflow/tfjs-core";
import type * as TfLayers from "@tensorflow/tfjs-layers";

// The tfjs packages are CommonJS in Node (no `exports` map: `import` loads their `main`), so
// `require` returns the very instance an `import` elsewhere gets. Requiring them on first use,
// synchronously, keeps the registration/validation import graph free of tfjs (~0.6 s at start)
// while sync APIs (`Network.model`, `Hyperparameters.createOptimizer()`) keep their signatures.
const require = createRequire(import.meta.url);

let core: typeof TfCore | undefined;
let layers: typeof TfLayers | undefined;

/**
 * `@tensorflow/tfjs-core`, loaded on first call with the cpu backend registered (as importing
 * `@tipi/tfjs` does), so tensors work before a Device has chosen a faster backend.
 */
export function tfCore(): typeof TfCore {
  if (core === undefined) {
    core = require("@tensorflow/tfjs-core") as typeof TfCore;
    require("@tensorflow/tfjs-backend-cpu");
  }
  return core;
}

/** `@tensorflow/tfjs-layers` (after {@link tfCore}), loaded on first call. */
export function tfLayers(): typeof TfLayers {
  if (layers === undefined) {
    tfCore();
    layers = require("@tensorflow/tfjs-layers") as typeof TfLayers;
  }
  return layers;
}

let sharpModule: Promise<typeof import("sharp")> | undefined;

/** `sharp` (libvips, ~0.1 s to load), imported on first call. */
export async function loadSharp(): Promise<typeof import("sharp").default> {
  sharpModule ??= import("sharp");
  return (await sharpModule).default;
}

let pngModule: typeof import("pngjs") | undefined;

/** `pngjs` (CommonJS, ~30 ms to load), required on first call. */
export function pngjs(): typeof import("pngjs") {
  pngModule ??= require("pngjs") as typeof import("pngjs");
  return pngModule;
}
