import { isTable, type Registry } from "@tipi/core";
import type { TomlTable } from "./toml-document.ts";

/**
 * `[pipeline] logger = "wandb"`: a `WandBLogger` permanence named `wandb`, first, so that it is
 * cleaned up (finished and synced) last. It writes to the run's own directory.
 */
export async function addWandbLogger(config: TomlTable, registry: Registry): Promise<void> {
  const { WandBLogger } = await import("@tipi/wandb");
  if (registry.permanence("WandBLogger") === undefined)
    registry.registerPermanence("WandBLogger", WandBLogger as never);
  const permanences = isTable(config.permanences) ? config.permanences : {};
  if (Object.values(permanences).some((p) => isTable(p) && p.type === "WandBLogger")) return;
  config.permanences = { wandb: { type: "WandBLogger" }, ...permanences };
}
