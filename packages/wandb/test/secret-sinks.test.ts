// One redaction at every sink the sweep controller writes (trial logs, sweep.json), and the
// scrubber it uses for streamed output.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  REDACTED,
  redactSecrets,
  redactString,
  registerSecretsIn,
  SecretScrubber,
} from "../src/store/redact.ts";
import { writeSweepState } from "../src/sweep/controller/sweep-state.ts";
import { startTrial } from "../src/sweep/controller/trial-process.ts";

const KEY = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d";
const scratch = mkdtempSync(join(tmpdir(), "tipi-secrets-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("SecretScrubber", () => {
  it("catches a key split across chunks, and holds back only what could start one", () => {
    const scrubber = new SecretScrubber({ secrets: [KEY] });
    const out = [
      scrubber.push(`key=${KEY.slice(0, 10)}`),
      scrubber.push(`${KEY.slice(10, 30)}`),
      scrubber.push(`${KEY.slice(30)} done\n`),
      scrubber.end(),
    ];
    expect(out.join("")).toBe(`key=${REDACTED} done\n`);
    // nothing of the key was let through before it was complete
    expect(out[0]).toBe("key=");
    expect(new SecretScrubber({ secrets: [KEY] }).push("plain text\n")).toBe("plain text\n");
  });

  it("a held-back tail that turns out not to be a key is written at the end", () => {
    const scrubber = new SecretScrubber({ secrets: [KEY] });
    expect(scrubber.push(`almost ${KEY.slice(0, 5)}`)).toBe("almost ");
    expect(scrubber.end()).toBe(KEY.slice(0, 5));
  });
});

describe("the sweep controller's sinks", () => {
  it("a trial command that is not tipi: its output reaches the log file scrubbed", async () => {
    const log = join(scratch, "trial.log");
    // prints the key in two writes 50 ms apart, on both streams
    const script = `const k = process.env.WANDB_API_KEY; process.stdout.write("out " + k.slice(0, 7)); setTimeout(() => { process.stdout.write(k.slice(7) + "\\n"); console.error("err " + k); }, 50);`;
    const previous = process.env.WANDB_API_KEY;
    process.env.WANDB_API_KEY = KEY;
    try {
      const trial = startTrial(
        { command: process.execPath, args: ["-e", script] },
        {
          trialId: "trial-0001",
          index: 0,
          pipeline: "p",
          params: {},
          setFlags: [],
          runDir: join(scratch, "run"),
          sweepDir: scratch,
        },
        log,
      );
      const exit = await trial.exited;
      expect(exit.code).toBe(0);
      expect(exit.stderrTail).toBe(`err ${REDACTED}\n`);
    } finally {
      if (previous === undefined) delete process.env.WANDB_API_KEY;
      else process.env.WANDB_API_KEY = previous;
    }
    const text = readFileSync(log, "utf8");
    expect(text).toContain(`out ${REDACTED}\n`);
    expect(text).toContain(`err ${REDACTED}\n`);
    expect(text).not.toContain(KEY.slice(0, 7));
  });

  it("sweep.json: a reason holding the key is scrubbed, params keep secret-looking names", () => {
    const previous = process.env.WANDB_API_KEY;
    process.env.WANDB_API_KEY = KEY;
    try {
      writeSweepState(scratch, {
        version: 1,
        pipeline: "p",
        seed: 1,
        method: "grid",
        config: {},
        status: "finished",
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt: "",
        trials: [
          {
            id: "trial-0001",
            index: 0,
            params: { tokenizer: "bpe", max_tokens: 512 },
            status: "failed",
            iterations: 0,
            attempts: 1,
            reason: `exit code 1: 401 for ${KEY}`,
          },
        ],
      });
    } finally {
      if (previous === undefined) delete process.env.WANDB_API_KEY;
      else process.env.WANDB_API_KEY = previous;
    }
    const text = readFileSync(join(scratch, "sweep.json"), "utf8");
    expect(text).not.toContain(KEY);
    const state = JSON.parse(text);
    expect(state.trials[0].reason).toBe(`exit code 1: 401 for ${REDACTED}`);
    expect(state.trials[0].params).toEqual({ tokenizer: "bpe", max_tokens: 512 });
  });

  it("redactSecrets scrubs keys of objects too (a figure named after the key)", () => {
    expect(redactSecrets({ [`table ${KEY}`]: 1 }, { secrets: [KEY] })).toEqual({
      [`table ${REDACTED}`]: 1,
    });
  });
});

describe("registerSecretsIn", () => {
  it("registers values under names that hold secrets, not under look-alikes", () => {
    registerSecretsIn({
      permanences: {
        service: { api_key: "reg-apikey-123456", apiKey: "reg-camel-123456" },
        auth: { password: "reg-password-123456", client_secret: "reg-client-123456" },
        text: { tokenizer: "reg-tokenizer-123456", keyboard: "reg-keyboard-123456" },
      },
    });
    const out = redactString(
      "reg-apikey-123456 reg-camel-123456 reg-password-123456 reg-client-123456 reg-tokenizer-123456 reg-keyboard-123456",
    );
    expect(out).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED} ${REDACTED} reg-tokenizer-123456 reg-keyboard-123456`,
    );
  });
});
