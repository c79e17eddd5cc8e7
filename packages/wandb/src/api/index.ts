export { WandbRequestError } from "./wandb-request.ts";
export { type RetryOptions, withRetry } from "./with-retry.ts";
