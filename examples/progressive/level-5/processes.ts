/**
 * Level 5: the level-4 function inside a `PipelineProcess` class, so a TOML file can name it
 * (`type = "ProgressiveTraining"`). `pipeline.toml` loads this module through
 * `[pipeline] modules`; the CLI registers its exported classes by their export names.
 */
import { PipelineProcess } from "tipi";
import type { z } from "zod";
import { train, trainParams } from "../level-4/train.ts";

export class ProgressiveTraining extends PipelineProcess<z.output<typeof trainParams>> {
  static override readonly params = trainParams;

  /** The same function as level 4: its progress, metrics and device now come from the run. */
  override execute() {
    return train(this.params);
  }
}
