import type { Registry } from "@tipi/core";
import { EvaluationProcess } from "./evaluate/evaluation-process.ts";
import { Data } from "./permanences/data.ts";
import { Device } from "./permanences/device.ts";
import { Hyperparameters } from "./permanences/hyperparameters.ts";
import { Network } from "./permanences/network.ts";
import { TrainingProcess } from "./train/training-process.ts";

/**
 * Registers every @tipi/tfjs permanence (Device, Network, Data, Hyperparameters) and process
 * (TrainingProcess, EvaluationProcess) under its class name, for TOML pipelines.
 * @example
 * const registry = registerTfjs(new Registry());
 */
export function registerTfjs(registry: Registry): Registry {
  return registry
    .registerPermanence("Device", Device)
    .registerPermanence("Network", Network)
    .registerPermanence("Data", Data)
    .registerPermanence("Hyperparameters", Hyperparameters)
    .registerProcess("TrainingProcess", TrainingProcess)
    .registerProcess("EvaluationProcess", EvaluationProcess);
}
