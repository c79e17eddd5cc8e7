// No silent failure (issue 10): faults injected into real `tipi` subprocesses, each of which must
// end with cleanup, a clear message and the right exit code. docs/reliability.md maps every
// promise tipi makes to the test here that proves it.
import { spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { BIN, REPO, tipi } from "./fixtures/cli/run-tipi.ts";

const FAULTS = "tests/fixtures/cli/faults";
const BASIC = "tests/fixtures/cli/basic";
const scratch = mkdtempSync(join(tmpdir(), "tipi-faults-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The only run directory under `<runs>/<pipeline>/`. */
function onlyRun(runs: string, pipeline: string): string {
  const ids = readdirSync(join(runs, pipeline));
  expect(ids).toHaveLength(1);
  return join(runs, pipeline, ids[0]!);
}

function statusOf(runDir: string): string {
  return (JSON.parse(readFileSync(join(runDir, "status.json"), "utf8")) as { status: string })
    .status;
}

describe.concurrent("a step that can never finish", () => {
  test.each([
    { output: "--no-progress", flags: ["--no-progress"] },
    { output: "plain lines", flags: [] },
  ])(
    "a promise that never settles ends the run: cleanup, a clear error, exit 1 ($output)",
    async ({ flags }) => {
      const runs = join(scratch, `hang${flags.join("")}`);
      const journal = join(scratch, `hang${flags.join("")}.journal`);
      const r = await tipi([
        "run",
        `${FAULTS}/hang.toml`,
        "--runs",
        runs,
        "--set",
        `journal.file=${journal}`,
        ...flags,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('step "stuck" stalled: it awaits a promise that can never settle');
      expect(readFileSync(journal, "utf8")).toBe("initialize\ncleanup\n");
      expect(statusOf(onlyRun(runs, "hang"))).toBe("failed");
    },
  );
});

describe.concurrent("a module that never finishes loading", () => {
  test("a top-level await that never settles: a clear error and exit 1, not Node's silent 13", async () => {
    const r = await tipi(["run", `${FAULTS}/never-loads.ts`, "--runs", join(scratch, "tla")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "tipi: stopped: nothing was left to run, yet the command had not finished",
    );
  });
});

describe.concurrent("a run directory that cannot be written", () => {
  test("the disk filling up mid-run stops the run: the error, cleanup, status failed, exit 1", async () => {
    const runs = join(scratch, "disk-full");
    const journal = join(scratch, "disk-full.journal");
    const r = await tipi([
      "run",
      `${FAULTS}/disk-full.toml`,
      "--runs",
      runs,
      "--set",
      `journal.file=${journal}`,
      "--no-progress",
    ]);
    const dir = onlyRun(runs, "disk-full");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `✖ cannot write ${dir}/history.jsonl: no space left on the device (ENOSPC)`,
    );
    expect(r.stderr).toContain("the run was stopped: its metrics and events could not be recorded");
    expect(r.stderr).toContain("(status.json: failed)");
    expect(r.stderr).not.toContain("internal error");
    expect(readFileSync(journal, "utf8")).toBe("initialize\ncleanup\n");
    const status = JSON.parse(readFileSync(join(dir, "status.json"), "utf8"));
    expect(status).toMatchObject({ status: "failed", error: expect.stringContaining("ENOSPC") });
    // the second epoch never ran: the run stopped at the first metric it could not keep
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).not.toContain('"epoch":1');
  });

  test("a file where the runs directory should be: says so, exit 1", async () => {
    const file = join(scratch, "runs-is-a-file");
    writeFileSync(file, "not a directory\n");
    const r = await tipi(["run", BASIC, "--runs", file, "--no-progress"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `tipi: cannot create ${file}/basic: a file is in the way of a directory on that path (ENOTDIR)`,
    );
    expect(r.stderr).toContain("hint: write the runs to a directory you can write to (--runs DIR)");
    expect(r.stderr).not.toContain("internal error");
  });

  test("a file where the sweep directory should be: says so, exit 1", async () => {
    const file = join(scratch, "sweep-dir-is-a-file");
    writeFileSync(file, "not a directory\n");
    const r = await tipi(["sweep", BASIC, "tests/fixtures/cli/sweep.yaml", "--sweep-dir", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `tipi: cannot create ${file}/trials: a file is in the way of a directory on that path (ENOTDIR)`,
    );
    expect(r.stderr).not.toContain("internal error");
  });

  test.skipIf(process.getuid?.() === 0)("a read-only runs directory: says so, exit 1", async () => {
    const runs = join(scratch, "read-only");
    mkdirSync(runs);
    chmodSync(runs, 0o555);
    const r = await tipi(["run", BASIC, "--runs", runs, "--no-progress"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`tipi: cannot create ${runs}/basic: permission denied (EACCES)`);
    expect(r.stderr).not.toContain("internal error");
  });

  // root ignores file modes; a directory of the read-only sysfs stands in for one
  test.skipIf(!existsSync("/sys/fs"))("a runs directory on a read-only file system", async () => {
    const r = await tipi(["run", BASIC, "--runs", "/sys/fs/tipi-runs", "--no-progress"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /tipi: cannot create \/sys\/fs\/tipi-runs\/basic: (the operation is not permitted \(EPERM\)|permission denied \(EACCES\)|the file system is read-only \(EROFS\))/,
    );
    expect(r.stderr).not.toContain("internal error");
  });
});

describe.concurrent("secrets", () => {
  // A fake W&B key; a real one is 40 hex characters too.
  const KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
  const BASIC_AUTH = Buffer.from(`api:${KEY}`).toString("base64");

  /** Every file under `dir` whose name or content holds the key (raw or as Basic credentials). */
  function filesHoldingKey(dir: string): string[] {
    const found: string[] = [];
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      const path = join(entry.parentPath, entry.name);
      if (path.includes(KEY)) found.push(path);
      if (!entry.isFile()) continue;
      const text = readFileSync(path, "latin1");
      if (text.includes(KEY) || text.includes(BASIC_AUTH)) found.push(path);
    }
    return found;
  }

  test("the W&B key a failing step prints and throws reaches no run file, stdout or stderr", async () => {
    const runs = join(scratch, "leak-run");
    const r = await tipi(["run", `${FAULTS}/leak.toml`, "--runs", runs, "--debug"], {
      env: { WANDB_API_KEY: KEY },
    });
    expect(r.code).toBe(1);
    // the step did print and throw it: the redaction is what keeps it out
    expect(r.stdout).toContain("stdout: the key is [REDACTED]");
    expect(r.stderr).toContain("stderr: the key is [REDACTED]");
    expect(r.stderr).toContain(
      "W&B answered 401 to key [REDACTED] (authorization: Basic [REDACTED])",
    );
    for (const stream of [r.stdout, r.stderr]) {
      expect(stream).not.toContain(KEY);
      expect(stream).not.toContain(BASIC_AUTH);
    }
    const dir = onlyRun(runs, "leak");
    expect(readdirSync(join(dir, "media"))).toEqual(["table_REDACTED_.json"]);
    expect(readFileSync(join(dir, "status.json"), "utf8")).toContain("[REDACTED]");
    expect(filesHoldingKey(runs)).toEqual([]);
  });

  test.each([
    { where: "in the TOML file", secret: "sk-file-7d3f9a2b61c4", flags: [] as string[] },
    {
      where: "given with --set",
      secret: "sk-cli-55aa66bb77cc",
      flags: ["--set", "service.api_key=sk-cli-55aa66bb77cc"],
    },
  ])(
    "a key of the user's own (api_key $where) echoed by a failing step is scrubbed too",
    async ({ where, secret, flags }) => {
      const runs = join(scratch, `service-${where.replaceAll(" ", "-")}`);
      const r = await tipi(["run", `${FAULTS}/service.toml`, "--runs", runs, ...flags]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("401 Unauthorized for api_key=[REDACTED]");
      for (const stream of [r.stdout, r.stderr]) expect(stream).not.toContain(secret);
      for (const entry of readdirSync(runs, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        expect(readFileSync(join(entry.parentPath, entry.name), "utf8")).not.toContain(secret);
      }
    },
  );

  test("nor the sweep: sweep.json, trial logs, trial run directories, stdout, stderr", async () => {
    const runs = join(scratch, "leak-sweep");
    const r = await tipi(
      ["sweep", `${FAULTS}/leak.toml`, `${FAULTS}/leak-sweep.yaml`, "--runs", runs],
      { env: { WANDB_API_KEY: KEY }, timeoutMs: 60_000 },
    );
    // every trial failed: the sweep fails too
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✖ every trial failed (2 of 2)");
    const sweepDir = join(runs, "sweeps", "leak-leak");
    const state = readFileSync(join(sweepDir, "sweep.json"), "utf8");
    expect(state).toContain("W&B answered 401 to key [REDACTED]");
    expect(readFileSync(join(sweepDir, "trials", "trial-0001.log"), "utf8")).toContain(
      "stderr: the key is [REDACTED]",
    );
    for (const stream of [r.stdout, r.stderr]) {
      expect(stream).not.toContain(KEY);
      expect(stream).not.toContain(BASIC_AUTH);
    }
    expect(filesHoldingKey(runs)).toEqual([]);
  });
});

describe.concurrent("sweeps that cannot succeed", () => {
  test("a sweep directory that holds another sweep: exit 2 and what to do, not 'internal error'", async () => {
    const sweepDir = join(scratch, "two-sweeps");
    const first = await tipi([
      "sweep",
      BASIC,
      "tests/fixtures/cli/sweep.yaml",
      "--sweep-dir",
      sweepDir,
    ]);
    expect(first.code).toBe(0);
    const r = await tipi([
      "sweep",
      BASIC,
      `${FAULTS}/sweep-bad-metric.yaml`,
      "--sweep-dir",
      sweepDir,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`tipi: ${sweepDir} holds a different sweep`);
    expect(r.stderr).toContain("use another sweep directory");
    expect(r.stderr).not.toContain("internal error");
  });

  test("trials that never log the sweep's metric: exit 1 with the metrics they did log", async () => {
    const runs = join(scratch, "bad-metric");
    const r = await tipi(["sweep", BASIC, `${FAULTS}/sweep-bad-metric.yaml`, "--runs", runs]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '✖ no trial reported the sweep\'s metric "acuracy", so none could be ranked',
    );
    expect(r.stderr).toContain('did you mean "accuracy"? the trials logged: loss, accuracy');
  });
});

describe.concurrent("W&B", () => {
  /** A port nothing listens on (a server is opened there and closed). */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  test("W&B unreachable: training finishes (exit 0) and the 'tipi sync later' warning shows with --no-progress", async () => {
    const port = await closedPort();
    const runs = join(scratch, "wandb-down");
    const r = await tipi(
      ["run", "tests/fixtures/cli/wandb.toml", "--runs", runs, "--no-progress"],
      {
        env: {
          WANDB_API_KEY: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
          WANDB_BASE_URL: `http://127.0.0.1:${port}`,
        },
        timeoutMs: 60_000,
      },
    );
    const dir = onlyRun(runs, "wandb-fixture");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warn: wandb: W&B sync failed, run \`tipi sync ${dir}\` later`);
    // every metric is in the run directory, for that sync
    expect(readFileSync(join(dir, "history.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  test("tipi sync without an API key says so (exit 2)", async () => {
    const r = await tipi(["sync", "last", "--runs", join(scratch, "no-runs")], {
      env: { WANDB_API_KEY: "", HOME: join(scratch, "no-home"), NETRC: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("tipi: tipi sync needs a W&B API key, and none is set");
    expect(r.stderr).toContain("set WANDB_API_KEY");
  });

  test("tipi sync finds the key `wandb login` wrote to ~/.netrc", async () => {
    const port = await closedPort();
    const netrc = join(scratch, "netrc");
    writeFileSync(
      netrc,
      `machine 127.0.0.1:${port}\n  login user\n  password 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c\n`,
    );
    const runs = join(scratch, "netrc-runs");
    const made = await tipi(["run", BASIC, "--runs", runs, "--no-progress"]);
    expect(made.code).toBe(0);
    const r = await tipi(["sync", "last", "--runs", runs], {
      env: { WANDB_API_KEY: "", NETRC: netrc, WANDB_BASE_URL: `http://127.0.0.1:${port}` },
      timeoutMs: 60_000,
    });
    // it got past the key: the server is what is missing now
    expect(r.stderr).not.toContain("needs a W&B API key");
    expect(r.stderr).toContain("✖ sync of");
    expect(r.stderr).not.toContain("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c");
    expect(r.code).toBe(1);
  });
});

describe.concurrent("cleanup", () => {
  test("a failed cleanup fails the run and no '✔ cleanup' is shown", async () => {
    const runs = join(scratch, "broken-cleanup");
    const journal = join(scratch, "broken-cleanup.journal");
    const r = await tipi([
      "run",
      `${FAULTS}/broken-cleanup.toml`,
      "--runs",
      runs,
      "--set",
      `journal.file=${journal}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✖ cleanup of flusher failed: the flush target is gone");
    expect(r.stdout).not.toContain("✔ cleanup");
    expect(r.stderr).toContain("cleanup of flusher: the flush target is gone");
    // the other permanence was still cleaned up
    expect(readFileSync(journal, "utf8")).toBe("initialize\ncleanup\n");
    expect(statusOf(onlyRun(runs, "broken-cleanup"))).toBe("failed");
  });
});

describe("Ctrl-C through the documented command", () => {
  /**
   * Starts `command` in a process group of its own, as a terminal does, and sends SIGINT to the
   * whole group (what Ctrl-C does) once the run prints "waiting".
   */
  function ctrlC(command: string[], journal: string) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; journal: string }>(
      (resolve, reject) => {
        const child = spawn(command[0]!, command.slice(1), {
          cwd: REPO,
          detached: true,
          env: { ...process.env, CI: "" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        let sent = false;
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (!sent && output.includes("waiting")) {
            sent = true;
            process.kill(-child.pid!, "SIGINT");
          }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 60_000);
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          clearTimeout(timer);
          resolve({
            code,
            signal,
            journal: existsSync(journal) ? readFileSync(journal, "utf8") : "",
          });
        });
      },
    );
  }

  test("npx tipi run …: the interrupt reaches the shell (killed by SIGINT: $? is 130) after a slow cleanup", async () => {
    const journal = join(scratch, "npx-ctrl-c.journal");
    const r = await ctrlC(
      [
        "npx",
        "--no-install",
        "tipi",
        "run",
        `${FAULTS}/slow-cleanup.toml`,
        "--set",
        `flush.file=${journal}`,
        "--runs",
        join(scratch, "npx-ctrl-c"),
      ],
      journal,
    );
    // npm passes a child's death by signal on by dying of the same signal: a shell shows 130
    expect(r.signal === "SIGINT" || r.code === 130).toBe(true);
    // and only after the cleanup (1 s) ran
    expect(r.journal).toBe("cleanup\n");
  });

  test("the tipi binary itself exits 130 after cleanup", async () => {
    const journal = join(scratch, "bin-ctrl-c.journal");
    const r = await ctrlC(
      [
        process.execPath,
        BIN,
        "run",
        `${FAULTS}/slow-cleanup.toml`,
        "--set",
        `flush.file=${journal}`,
        "--runs",
        join(scratch, "bin-ctrl-c"),
      ],
      journal,
    );
    expect(r.code).toBe(130);
    expect(r.journal).toBe("cleanup\n");
  });
});
