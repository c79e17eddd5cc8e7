export { confusionMatrixImage, encodePng, type RawImage } from "./png.ts";
export { registerWandb } from "./register.ts";
export {
  type WandBFinishReport,
  WandBLogger,
  type WandBLoggerOptions,
  type WandBMode,
  type WandBTimeouts,
} from "./wandb-logger.ts";
export { wandbLoggerParams } from "./wandb-logger-params.ts";
