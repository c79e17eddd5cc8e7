// `tipi agent` under a controller that runs hyperband on the metrics the trials stream live:
// a trial that falls behind at a band is stopped from the server, through the agent.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { startFakeWandbServer } from "../packages/wandb/src/testing/index.ts";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const KEY = "hyperbandkey".repeat(4);
const scratch = mkdtempSync(join(tmpdir(), "tipi-agent-hyperband-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("hyperband on the server stops the trial that falls behind; the good one finishes", async () => {
  const server = await startFakeWandbServer({ apiKey: KEY });
  try {
    const env = {
      WANDB_API_KEY: KEY,
      WANDB_BASE_URL: server.url,
      WANDB_MODE: "online",
      TIPI_AGENT_HEARTBEAT_MS: "250",
    };
    const created = await tipi(
      [
        "sweep",
        "tests/fixtures/agent/curve.toml",
        "tests/fixtures/agent/hyperband.yaml",
        "--wandb",
        "--project",
        "hb",
      ],
      { env },
    );
    expect(created.code, created.stderr).toBe(0);
    const path = /tipi agent (\S+)/.exec(created.stdout)?.[1] as string;
    const agent = spawn(process.execPath, [BIN, "agent", path, "--runs", scratch, "--count", "2"], {
      cwd: REPO,
      env: { ...process.env, ...env, CI: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    agent.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    agent.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => agent.on("close", resolve));
    expect(code, output).toBe(0);

    const sweep = server.controller.sweep();
    server.controller.refresh();
    const [good, bad] = sweep.runs;
    expect(good?.params).toEqual({ "curve.delay_ms": 400, "curve.epochs": 12, "curve.quality": 0 });
    expect(good?.state).toBe("finished");
    expect(server.run(good!.name).history.size).toBe(12);
    expect(bad?.params["curve.quality"]).toBe(10);
    expect(bad?.state).toBe("stopped");
    expect(output).toContain(`run ${bad!.name}: the controller says stop`);
    // Stopped once it had passed the band of 2 iterations, well before its 12 epochs.
    const rows = server.run(bad!.name).history.size;
    expect(rows).toBeGreaterThanOrEqual(2);
    expect(rows).toBeLessThan(12);
  } finally {
    await server.close();
  }
});
