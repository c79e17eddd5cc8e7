import { didYouMean as fromSubpath } from "@tipi/core/did-you-mean";
import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, nearest } from "../src/index.ts";

describe("did you mean", () => {
  it("measures edits case-insensitively", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("Epochs", "epochs")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("suggests the closest candidate within max(2, ⌈length / 3⌉) edits", () => {
    expect(nearest("Trainig", ["Evaluation", "Training"])).toBe("Training");
    // 7 letters: 3 edits allowed
    expect(nearest("learnrt", ["learning"])).toBe("learning");
    expect(nearest("zzz", ["Training"])).toBeUndefined();
    expect(nearest("x", [])).toBeUndefined();
  });

  it("words the hint, and is the same function through @tipi/core/did-you-mean", () => {
    expect(didYouMean("epoch", ["epochs", "batchSize"])).toBe('did you mean "epochs"?');
    expect(didYouMean("qqqqqq", ["epochs"])).toBeUndefined();
    expect(fromSubpath).toBe(didYouMean);
  });
});
