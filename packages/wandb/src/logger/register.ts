import type { Registry } from "@tipi/core";
import { WandBLogger } from "./wandb-logger.ts";

/**
 * Registers tipi's tracking permanences for config-built pipelines: `WandBLogger`.
 * @example
 * registerWandb(new Registry()); // [permanences.logger] type = "WandBLogger"
 */
export function registerWandb(registry: Registry): Registry {
  return registry.registerPermanence("WandBLogger", WandBLogger);
}
