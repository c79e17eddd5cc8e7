/** How the learning rate changes over training; a pure function of the step, so resume-exact. */
export type LrSchedule =
  | { readonly kind: "constant" }
  /** Multiply by `gamma` every `everyEpochs` epochs. */
  | { readonly kind: "step"; readonly everyEpochs: number; readonly gamma: number }
  /** Multiply by `gamma` each epoch, interpolated per step. */
  | { readonly kind: "exponential"; readonly gamma: number }
  /** Cosine decay from the base rate to `minLr` over the whole run, after `warmupEpochs`. */
  | { readonly kind: "cosine"; readonly minLr?: number; readonly warmupEpochs?: number };

/** Where training stands, in steps. */
export interface SchedulePosition {
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly epochs: number;
}

/** The learning rate to use for the update after `position.step` updates. */
export function learningRateAt(
  schedule: LrSchedule,
  baseLr: number,
  { step, stepsPerEpoch, epochs }: SchedulePosition,
): number {
  const epochFloat = step / stepsPerEpoch;
  switch (schedule.kind) {
    case "constant":
      return baseLr;
    case "step":
      return baseLr * schedule.gamma ** Math.floor(Math.floor(epochFloat) / schedule.everyEpochs);
    case "exponential":
      return baseLr * schedule.gamma ** epochFloat;
    case "cosine": {
      const warmupSteps = (schedule.warmupEpochs ?? 0) * stepsPerEpoch;
      if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
      const total = Math.max(1, epochs * stepsPerEpoch - warmupSteps);
      const progress = Math.min(1, (step - warmupSteps) / total);
      const minLr = schedule.minLr ?? 0;
      return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
    }
  }
}
