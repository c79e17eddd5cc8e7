export { confusionMatrixImage, encodePng, type RawImage } from "./png.ts";
export {
  type WandBFinishReport,
  WandBLogger,
  type WandBLoggerOptions,
  type WandBMode,
  type WandBTimeouts,
} from "./wandb-logger.ts";
