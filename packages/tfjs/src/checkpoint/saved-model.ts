import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { writeFileAtomic } from "./atomic-write.ts";

/**
 * Saves `model` in the tfjs-layers format (`model.json` + `weights.bin`) into `dir` without
 * tfjs-node's `file://` handler; each file is written atomically.
 */
export async function saveModel(model: tfl.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData
        ? tf.io.concatenateArrayBuffers(
            Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData],
          )
        : new ArrayBuffer(0);
      writeFileAtomic(join(dir, "weights.bin"), [new Uint8Array(weightData)]);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileAtomic(join(dir, "model.json"), [Buffer.from(JSON.stringify(json))]);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Loads a model written by {@link saveModel} (or any single-shard tfjs-layers model). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) =>
    group.paths.map((p) => {
      const bytes = readFileSync(join(dir, p));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    }),
  );
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData: tf.io.concatenateArrayBuffers(buffers),
    }),
  );
}
