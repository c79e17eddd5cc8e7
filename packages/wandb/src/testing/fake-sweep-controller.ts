/**
 * The sweep side of the fake W&B server: it plays W&B's sweep controller for agents
 * (`UpsertSweep`, `SweepWithRuns`, `CreateAgent`, `Heartbeat`), suggesting trials with tipi's
 * own search (grid order, random, bayes) and keeping each run's state the way W&B shows it.
 */
import { randomBytes } from "node:crypto";
import { parseSweepConfig } from "../sweep/config/parse-config.ts";
import type { SweepConfig } from "../sweep/config/types.ts";
import { hyperbandStop } from "../sweep/search/hyperband.ts";
import { createSearch, type Search, type TrialObservation } from "../sweep/search/search.ts";
import { parseYaml11 } from "../sweep/source/yaml11.ts";

/** A run's state as W&B reports it. */
export type FakeSweepRunState =
  | "pending"
  | "running"
  | "finished"
  | "failed"
  | "crashed"
  | "stopped";

export interface FakeSweepRun {
  readonly name: string;
  readonly sweep: string;
  readonly agentId: string;
  /** The nested parameters (what the run's config holds). */
  readonly params: Record<string, unknown>;
  /** What the `run` command carried: `{ name: { value } }`. */
  readonly args: Record<string, { value: unknown }>;
  state: FakeSweepRunState;
  stopRequested: boolean;
  exitcode?: number;
}

export interface FakeSweepAgent {
  readonly id: string;
  readonly sweep: string;
  readonly host: string;
  /** Times (ms) of its heartbeats, for backoff checks. */
  readonly heartbeats: number[];
  /** Run ids the last heartbeat reported running. */
  running: string[];
  dead: boolean;
}

export interface FakeSweep {
  /** The GraphQL id. */
  readonly id: string;
  /** The sweep id users see. */
  readonly name: string;
  readonly entity: string;
  readonly project: string;
  /** The YAML text UpsertSweep received. */
  readonly configText: string;
  readonly config: SweepConfig;
  state: "RUNNING" | "PAUSED" | "FINISHED" | "CANCELED";
  readonly runs: FakeSweepRun[];
}

/** What the fake server knows of a run: its completion, history and summary. */
export interface RunCompletion {
  complete?: { readonly exitcode: number };
  readonly history?: ReadonlyMap<number, Record<string, unknown>>;
  summary?: Record<string, unknown>;
}

export interface FakeSweepControllerOptions {
  /** An agent silent for this long is dead, and its unfinished runs crashed. Default 5 s. */
  readonly agentTimeoutMs?: number;
  /** Seed of random and bayes suggestions. Default 0. */
  readonly seed?: number;
}

export class FakeSweepController {
  readonly sweeps = new Map<string, FakeSweep>();
  readonly agents = new Map<string, FakeSweepAgent>();
  readonly #searches = new Map<string, Search>();
  readonly #agentTimeoutMs: number;
  readonly #seed: number;
  /** Sweeps UpsertSweep refused, with the reason (for tests of bad files). */
  readonly refused: string[] = [];

  constructor(
    readonly defaultEntity: string,
    readonly completion: (
      entity: string,
      project: string,
      run: string,
    ) => RunCompletion | undefined,
    options: FakeSweepControllerOptions = {},
  ) {
    this.#agentTimeoutMs = options.agentTimeoutMs ?? 5000;
    this.#seed = options.seed ?? 0;
  }

  /** Creates a sweep directly (as `wandb sweep` would); returns its id. */
  createSweep(configText: string, project = "tipi-tests", entity = this.defaultEntity): FakeSweep {
    const source = parseYaml11(configText);
    const config = parseSweepConfig(source.value, { floats: source.floats, lines: source.lines });
    const name = randomId();
    const sweep: FakeSweep = {
      id: `sweep-${name}`,
      name,
      entity,
      project,
      configText,
      config,
      state: "RUNNING",
      runs: [],
    };
    this.sweeps.set(name, sweep);
    this.#searches.set(name, createSearch(config, { seed: this.#seed }));
    return sweep;
  }

  /** The one sweep, or the one named. */
  sweep(name?: string): FakeSweep {
    const found = name === undefined ? [...this.sweeps.values()] : [this.sweeps.get(name)];
    if (found.length !== 1 || found[0] === undefined)
      throw new Error(`expected one fake sweep${name ? ` named ${name}` : ""}`);
    return found[0];
  }

  /** Asks the run's agent to stop it (sent with every heartbeat until it ends). */
  stopRun(runName: string): void {
    for (const sweep of this.sweeps.values())
      for (const run of sweep.runs) if (run.name === runName) run.stopRequested = true;
  }

  /** Answers a GraphQL operation of the sweep protocol, or undefined when it is not one. */
  handle(operation: string | undefined, variables: Record<string, unknown>): unknown {
    this.#tick();
    switch (operation) {
      case "UpsertSweep":
        return this.#upsertSweep(variables);
      case "SweepWithRuns":
        return this.#sweepWithRuns(variables);
      case "CreateAgent":
        return this.#createAgent(variables);
      case "Heartbeat":
        return this.#heartbeat(variables);
      default:
        return undefined;
    }
  }

  #upsertSweep(variables: Record<string, unknown>) {
    if (typeof variables.id === "string") {
      const sweep = [...this.sweeps.values()].find((s) => s.id === variables.id);
      if (!sweep) return { errors: [{ message: `no sweep ${variables.id}` }] };
      if (typeof variables.state === "string") sweep.state = variables.state as FakeSweep["state"];
      return {
        data: { upsertSweep: { sweep: this.#sweepRef(sweep), configValidationWarnings: [] } },
      };
    }
    let sweep: FakeSweep;
    try {
      sweep = this.createSweep(
        String(variables.config ?? ""),
        String(variables.projectName || "uncategorized"),
        String(variables.entityName || this.defaultEntity),
      );
    } catch (error) {
      this.refused.push((error as Error).message);
      return { errors: [{ message: `invalid sweep config: ${(error as Error).message}` }] };
    }
    return {
      data: { upsertSweep: { sweep: this.#sweepRef(sweep), configValidationWarnings: [] } },
    };
  }

  #sweepRef(sweep: FakeSweep) {
    return {
      name: sweep.name,
      project: {
        id: `project-${sweep.project}`,
        name: sweep.project,
        entity: { id: `entity-${sweep.entity}`, name: sweep.entity },
      },
    };
  }

  #sweepWithRuns(variables: Record<string, unknown>) {
    const sweep = this.sweeps.get(String(variables.sweep));
    const matches =
      sweep !== undefined &&
      (variables.project === undefined || variables.project === sweep.project) &&
      (variables.entity === undefined || variables.entity === sweep.entity);
    return {
      data: {
        project: matches
          ? {
              sweep: {
                id: sweep.id,
                name: sweep.name,
                state: sweep.state,
                config: sweep.configText,
                runs: {
                  edges: sweep.runs.map((r) => ({ node: { name: r.name, state: r.state } })),
                },
              },
            }
          : { sweep: null },
      },
    };
  }

  #createAgent(variables: Record<string, unknown>) {
    const sweep = this.sweeps.get(String(variables.sweep));
    if (!sweep) return { status: 404, errors: [{ message: "sweep not found" }] };
    const id = `agent-${randomId()}`;
    this.agents.set(id, {
      id,
      sweep: sweep.name,
      host: String(variables.host ?? ""),
      heartbeats: [],
      running: [],
      dead: false,
    });
    return { data: { createAgent: { agent: { id } } } };
  }

  #heartbeat(variables: Record<string, unknown>) {
    const agent = this.agents.get(String(variables.id));
    if (!agent) return { status: 404, errors: [{ message: "agent not found" }] };
    const sweep = this.sweeps.get(agent.sweep);
    if (!sweep) return { status: 404, errors: [{ message: "sweep not found" }] };
    agent.heartbeats.push(Date.now());
    agent.dead = false;
    let reported: Record<string, unknown> = {};
    try {
      reported = JSON.parse(String(variables.runState ?? "{}")) as Record<string, unknown>;
    } catch {}
    agent.running = Object.keys(reported).filter((id) => reported[id] === true);
    for (const run of sweep.runs) {
      if (run.agentId === agent.id && run.state === "pending" && agent.running.includes(run.name))
        run.state = "running";
    }
    this.#tick();
    this.#hyperband(sweep);
    const commands: Record<string, unknown>[] = [];
    for (const run of sweep.runs) {
      if (run.stopRequested && agent.running.includes(run.name))
        commands.push({ type: "stop", run_id: run.name });
    }
    const mine = sweep.runs.filter(
      (r) => r.agentId === agent.id && (r.state === "pending" || r.state === "running"),
    );
    const busy = mine.some((r) => r.state === "pending" || agent.running.includes(r.name));
    if (sweep.state === "RUNNING" && !busy) {
      const next = this.#suggest(sweep);
      if (next) {
        const run: FakeSweepRun = {
          name: randomId(),
          sweep: sweep.name,
          agentId: agent.id,
          params: next,
          args: Object.fromEntries(Object.entries(next).map(([k, v]) => [k, { value: v }])),
          state: "pending",
          stopRequested: false,
        };
        sweep.runs.push(run);
        commands.push({
          type: "run",
          run_id: run.name,
          program: sweep.config.program ?? "",
          args: run.args,
        });
      } else if (sweep.runs.every((r) => r.state !== "pending" && r.state !== "running")) {
        sweep.state = "FINISHED";
      }
    }
    if (sweep.state !== "RUNNING" && !busy) commands.push({ type: "exit" });
    return {
      data: { agentHeartbeat: { agent: { id: agent.id }, commands: JSON.stringify(commands) } },
    };
  }

  #suggest(sweep: FakeSweep): Record<string, unknown> | undefined {
    const cap = sweep.config.runCap;
    if (cap !== undefined && sweep.runs.length >= cap) return undefined;
    const search = this.#searches.get(sweep.name);
    const trials: TrialObservation[] = sweep.runs.map((r) => {
      const metric = this.#finalMetric(sweep, r);
      return {
        params: r.params,
        status:
          r.state === "crashed"
            ? "failed"
            : r.state === "pending"
              ? "running"
              : (r.state as TrialObservation["status"]),
        ...(metric === undefined ? {} : { metric }),
      };
    });
    return search?.next(sweep.runs.length, trials);
  }

  /** The sweep metric's values in a run's history, in step order. */
  #history(sweep: FakeSweep, run: FakeSweepRun): number[] {
    const name = sweep.config.metric?.name;
    const rows = this.completion(sweep.entity, sweep.project, run.name)?.history;
    if (name === undefined || rows === undefined) return [];
    return [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, row]) => row[name])
      .filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  }

  /** A run's final metric: its summary's, else the last history value (W&B's view for bayes). */
  #finalMetric(sweep: FakeSweep, run: FakeSweepRun): number | undefined {
    const name = sweep.config.metric?.name;
    if (name === undefined) return undefined;
    const summary = this.completion(sweep.entity, sweep.project, run.name)?.summary?.[name];
    return typeof summary === "number" ? summary : this.#history(sweep, run).at(-1);
  }

  /** W&B's early termination: hyperband over the histories the runs streamed. */
  #hyperband(sweep: FakeSweep): void {
    const hyperband = sweep.config.earlyTerminate;
    const metric = sweep.config.metric;
    if (hyperband === undefined || metric === undefined) return;
    const decision = hyperbandStop(
      sweep.runs
        .filter((r) => r.state !== "pending")
        .map((r) => ({
          id: r.name,
          running: r.state === "running" && !r.stopRequested,
          history: this.#history(sweep, r),
        })),
      { bands: hyperband.bands, eta: hyperband.eta, strict: hyperband.strict, goal: metric.goal },
    );
    for (const run of sweep.runs) if (decision.stop.includes(run.name)) run.stopRequested = true;
  }

  /** Completions reported by the runs themselves, and agents that went silent. */
  #tick(): void {
    const now = Date.now();
    for (const sweep of this.sweeps.values()) {
      for (const run of sweep.runs) {
        if (run.state !== "pending" && run.state !== "running") continue;
        const complete = this.completion(sweep.entity, sweep.project, run.name)?.complete;
        if (complete) {
          run.exitcode = complete.exitcode;
          run.state = run.stopRequested
            ? "stopped"
            : complete.exitcode === 0
              ? "finished"
              : "failed";
          continue;
        }
        const agent = this.agents.get(run.agentId);
        const last = agent?.heartbeats.at(-1) ?? 0;
        if (agent && now - last > this.#agentTimeoutMs) {
          agent.dead = true;
          run.state = "crashed";
        }
      }
    }
  }

  /** Re-evaluates run states now (completions and dead agents). */
  refresh(): void {
    this.#tick();
  }
}

function randomId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join("");
}
