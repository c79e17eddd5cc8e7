/**
 * tipi: everything in one import. The public APIs of @tipi/core, @tipi/tfjs and @tipi/wandb,
 * plus the helper layer that lets a plain training script use tipi one piece at a time
 * (see docs/progressive-enhancement.md).
 */
export * from "@tipi/core";
export * from "@tipi/tfjs";
export * from "@tipi/wandb";
export { type DeviceInfo, deviceManager } from "./helpers/device-manager.ts";
export { type LoggerInitOptions, type LoggerRunInfo, logger } from "./helpers/logger.ts";
export { type ProgressBarOptions, progressBar } from "./helpers/progress-bar.ts";
