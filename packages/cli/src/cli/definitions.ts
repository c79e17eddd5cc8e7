/**
 * The commands and options of `tipi`, as data: the argument parser, `--help` and the
 * generated docs/cli.md all read these, so they cannot drift apart.
 */

export interface OptionDef {
  /** Long name without dashes (`run-dir`); a boolean `x` also accepts `--no-x`. */
  readonly name: string;
  readonly short?: string;
  readonly type: "boolean" | "string" | "number";
  /** Placeholder in help (`<dir>`). */
  readonly value?: string;
  readonly repeatable?: boolean;
  readonly description: string;
  readonly default?: string | number | boolean;
}

export interface ArgumentDef {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

export interface CommandDef {
  readonly name: string;
  readonly summary: string;
  /** Longer text for `tipi help <command>` and the docs. */
  readonly description?: string;
  readonly arguments: readonly ArgumentDef[];
  readonly options: readonly OptionDef[];
  /** Whether bare `a.b=v` arguments and unknown `--a.b=v` flags are config overrides. */
  readonly acceptsOverrides?: boolean;
  readonly examples: readonly string[];
  /**
   * Why the examples cannot run in tests/docs-commands.test.ts (which runs every other
   * command of docs/cli.md); shown as `<!-- not-run: … -->` above them.
   */
  readonly examplesNotRun?: string;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: readonly OptionDef[] = [
  { name: "help", short: "h", type: "boolean", description: "Show help for tipi or a command." },
  {
    name: "debug",
    type: "boolean",
    description: "Print stack traces and internal details of errors.",
  },
];

const TARGET: ArgumentDef = {
  name: "pipeline",
  required: true,
  description:
    "A pipeline: a `.toml` file, a `.ts`/`.js` module whose default export is a pipeline, a " +
    "directory holding `pipeline.toml` or `pipeline.ts` (`pipeline.toml` when it holds both), or " +
    "a name looked up in `pipelines/` and then `examples/`.",
};

const CONFIG_OPTIONS: readonly OptionDef[] = [
  {
    name: "config",
    short: "c",
    type: "string",
    value: "file.toml",
    repeatable: true,
    description:
      "A TOML file merged over the pipeline's config (tables merge, values replace); repeatable, later files win.",
  },
  {
    name: "set",
    type: "string",
    value: "key=value",
    repeatable: true,
    description:
      "Override one config value, typed like the value it replaces (or as a TOML literal). " +
      "See docs/config.md for how short keys resolve. Bare `key=value` and `--key=value` work too.",
  },
];

const RUNS_ROOT: OptionDef = {
  name: "runs",
  type: "string",
  value: "dir",
  default: "runs",
  description: "The root of the run directories.",
};

export const COMMANDS: readonly CommandDef[] = [
  {
    name: "run",
    summary: "Run a pipeline.",
    description:
      "Builds the pipeline, creates a run directory `<runs>/<pipeline>/<run-id>/`, runs it with " +
      "progress bars (plain lines without a TTY or with CI=true), and records config, metadata, " +
      "events, history and summary. Exit code 0 when the run succeeded, 1 when it failed, 2 for a " +
      "usage or config error, 130 when interrupted (Ctrl-C; a second Ctrl-C forces the exit).",
    arguments: [TARGET],
    acceptsOverrides: true,
    options: [
      ...CONFIG_OPTIONS,
      {
        name: "run-dir",
        type: "string",
        value: "dir",
        description: "Use exactly this run directory (a sweep controller passes it).",
      },
      {
        name: "resume",
        type: "string",
        value: "run-id|last",
        description:
          "Continue a run: its directory, config and checkpoints (a run id, a unique prefix, `last`, or a path). The run's own config is restored; `-c`, `--set` or `--seed` that change it are refused (exit 2) unless `--allow-changes`.",
      },
      {
        name: "allow-changes",
        type: "boolean",
        description:
          "With `--resume`: continue with config values that differ from the run's (they are recorded in `meta.json`'s `resumes`).",
      },
      RUNS_ROOT,
      {
        name: "seed",
        type: "number",
        value: "n",
        description:
          "The run's random seed (sets a TOML pipeline's `pipeline.seed`; a `.ts` pipeline sets its own seeds in its code).",
      },
      {
        name: "dry-run",
        type: "boolean",
        description: "Build and validate, print the plan and resolved config, run nothing.",
      },
      {
        name: "progress",
        type: "boolean",
        default: true,
        description: "Show progress (`--no-progress`: only the final result).",
      },
      { name: "json", type: "boolean", description: "Print every event as a JSON line on stdout." },
    ],
    examples: [
      "tipi run examples/fashion-mnist",
      "tipi run fashion-mnist --set hyperparameters.epochs=1 --seed 7",
      "tipi run examples/fashion-mnist/pipeline.toml learningRate=0.01 --batchSize=32",
      "tipi run fashion-mnist --resume last",
    ],
  },
  {
    name: "validate",
    summary: "Check a pipeline's config without running it.",
    description:
      "Parses the config, applies overrides and builds the pipeline, checks that every process (and " +
      "trainJoin()/evaluateStage()) has the permanences it names, and reports every problem with " +
      "file:line:column, the key path and a hint. Exit code 0 when valid, 2 otherwise. A valid " +
      "pipeline prints its name and counts: its permanences, and its steps, which are the steps " +
      "`tipi graph` lists and `tipi run` numbers ([1/N]): stages, io steps, joins, processes and " +
      "`through` state checks.",
    arguments: [TARGET],
    acceptsOverrides: true,
    options: [...CONFIG_OPTIONS],
    examples: [
      "tipi validate examples/fashion-mnist",
      "tipi validate examples/fashion-mnist/pipeline.ts",
      "tipi validate fashion-mnist --set hyperparameters.epochs=2",
    ],
  },
  {
    name: "graph",
    summary: "Show a pipeline's steps, joins and permanences.",
    description:
      "The first line is the pipeline's name as written (`[pipeline] name`, or " +
      "`Pipeline.create({ name })`; runs go to `runs/<name>/`). Its steps are numbered as " +
      "`tipi run` numbers them, `through` state checks included.",
    arguments: [TARGET],
    acceptsOverrides: true,
    options: [
      ...CONFIG_OPTIONS,
      { name: "mermaid", type: "boolean", description: "Print a mermaid flowchart." },
      { name: "json", type: "boolean", description: "Print the graph as JSON." },
    ],
    examples: ["tipi graph examples/fashion-mnist", "tipi graph fashion-mnist --mermaid"],
  },
  {
    name: "list",
    summary: "List the pipelines of this project (in `pipelines/` and `examples/`).",
    description:
      "The first column is the name `tipi run <name>` takes: a folder of `examples/` or " +
      "`pipelines/`, or a file of `pipelines/`. A TOML pipeline whose `[pipeline] name` differs " +
      '(the name its runs are filed under) shows it as `(pipeline "…")`.',
    arguments: [],
    options: [{ name: "json", type: "boolean", description: "Print the list as JSON." }],
    examples: ["tipi list"],
  },
  {
    name: "init",
    summary:
      "Create a TypeScript project with a training pipeline, a strict tsconfig and a unit test.",
    arguments: [{ name: "dir", required: true, description: "Where to create the project." }],
    options: [
      {
        name: "name",
        type: "string",
        value: "name",
        description: "The pipeline's name (default: the directory's name).",
      },
      {
        name: "example",
        type: "string",
        value: "name",
        description:
          "Start from an example instead of the starter: `fashion-mnist` (tipi's default pipeline).",
      },
      { name: "force", type: "boolean", description: "Write into a directory that is not empty." },
    ],
    examples: [
      "tipi init my-cnn --example fashion-mnist",
      "tipi init my-experiment",
      "cd my-experiment && npm install && npm test && npm start",
    ],
  },
  {
    name: "runs",
    summary: "List run directories with status, duration and key metrics; compare two runs.",
    arguments: [
      {
        name: "pipeline",
        required: false,
        description: "Only the runs of this pipeline. With --compare: the first run.",
      },
      {
        name: "other",
        required: false,
        description: "With --compare: the second run.",
      },
    ],
    options: [
      RUNS_ROOT,
      {
        name: "compare",
        type: "boolean",
        description:
          "Print two runs' key metrics side by side (with B - A) and the config keys where they differ; the runs are ids, unique prefixes, `last`, `last~1` (the one before) or paths.",
      },
      { name: "json", type: "boolean", description: "Print the runs (or the comparison) as JSON." },
    ],
    examples: [
      "tipi runs",
      "tipi runs fashion-mnist --runs runs",
      "tipi runs --compare last~1 last",
    ],
  },
  {
    name: "sync",
    summary: "Upload a run directory to Weights & Biases (what W&B has not confirmed yet).",
    description:
      "Idempotent: a second sync sends nothing. Needs a W&B API key: WANDB_API_KEY, else the " +
      "~/.netrc entry `wandb login` writes (exit code 2 without one); WANDB_BASE_URL points at " +
      "another server. Exit code 1 when the upload failed part-way (run it again to continue).",
    arguments: [
      {
        name: "run",
        required: true,
        description: "A run id (or a unique prefix), `last`, or a path to a run directory.",
      },
    ],
    options: [
      RUNS_ROOT,
      {
        name: "project",
        type: "string",
        value: "name",
        description: "W&B project (default: WANDB_PROJECT, else the pipeline's name).",
      },
      {
        name: "entity",
        type: "string",
        value: "name",
        description: "W&B entity (default: the API key's).",
      },
    ],
    examples: ["tipi sync last", "WANDB_API_KEY=… tipi sync last --project mnist"],
  },
  {
    name: "sweep",
    summary: "Run a hyperparameter sweep (W&B sweep format) locally, trials in parallel processes.",
    description:
      "Each trial is `tipi run <pipeline> --set k=v … --run-dir <sweep-dir>/trials/<id>` in its own " +
      "process, with fresh permanences. Before the first trial, every parameter is checked against " +
      "the pipeline (an unknown key or a value of the wrong type is exit code 2, at its line in " +
      "the sweep file), and a random or bayes sweep needs run_cap or --count. An interrupted sweep " +
      "resumes without re-running finished trials. Prints a table of the trials and the best " +
      "config. Exit code 1 when every trial failed, or when no trial logged the sweep's metric.",
    arguments: [
      TARGET,
      { name: "sweep-file", required: true, description: "A W&B sweep config (YAML or TOML)." },
    ],
    options: [
      {
        name: "parallel",
        type: "number",
        value: "n",
        default: 1,
        description: "Trials running at once.",
      },
      {
        name: "count",
        type: "number",
        value: "n",
        description: "Most trials, when the sweep file has no run_cap.",
      },
      {
        name: "seed",
        type: "number",
        value: "n",
        description: "Seed of random and bayes suggestions.",
      },
      {
        name: "dry-run",
        type: "boolean",
        description:
          "List the trials the sweep would run (a grid: all; random: the first --count or run_cap) and check each against the pipeline; run nothing.",
      },
      {
        name: "wandb",
        type: "boolean",
        description:
          "Create the sweep on the W&B server instead of running it, and print the `tipi agent` command that runs it.",
      },
      {
        name: "project",
        type: "string",
        value: "name",
        description:
          "With --wandb: the W&B project (default: WANDB_PROJECT, the file's `project`, else the pipeline's name).",
      },
      {
        name: "entity",
        type: "string",
        value: "name",
        description:
          "With --wandb: the W&B entity (default: WANDB_ENTITY, the file's `entity`, else the API key's).",
      },
      {
        name: "sweep-dir",
        type: "string",
        value: "dir",
        description:
          "Where the sweep keeps its state and trials (default: <runs>/sweeps/<pipeline>-<sweep name>).",
      },
      RUNS_ROOT,
    ],
    examples: ["tipi sweep examples/fashion-mnist examples/fashion-mnist/sweep.yaml --parallel 2"],
  },
  {
    name: "agent",
    summary: "Run trials of a W&B sweep as a W&B sweep agent (no Python needed).",
    description:
      "Registers with the sweep's controller on the W&B server, heartbeats every 5 s, and runs each " +
      "suggested trial as `tipi run <pipeline> <parameters> --run-dir <runs>/sweeps/wandb-<sweep-id>/<run-id>` " +
      "in its own process. A `stop` from the controller ends the trial (SIGTERM, SIGKILL 30 s later); " +
      "W&B unreachable or answering 5xx is retried with backoff, and what W&B did not confirm stays in " +
      "the run directory for `tipi sync`. Any number of agents, on any machines, share one sweep. " +
      "Needs WANDB_API_KEY; WANDB_BASE_URL points at another server. Exit code 0 when the controller " +
      "ends the sweep or --count trials ran, 1 when trials keep failing (3 in the agent's first 60 s, " +
      "unless WANDB_AGENT_DISABLE_FLAPPING=true, or WANDB_AGENT_MAX_INITIAL_FAILURES, default 5, as " +
      "the wandb agent), 2 for a bad sweep path or an unknown sweep, 130 on Ctrl-C.",
    arguments: [
      {
        name: "sweep",
        required: true,
        description:
          "`entity/project/sweep-id` (or `project/sweep-id`, or `sweep-id` with WANDB_ENTITY and WANDB_PROJECT).",
      },
    ],
    options: [
      { name: "count", type: "number", value: "n", description: "Most trials this agent runs." },
      {
        name: "pipeline",
        type: "string",
        value: "pipeline",
        description: "The pipeline to run (default: the sweep's `program`).",
      },
      RUNS_ROOT,
    ],
    examples: ["tipi agent my-team/mnist/k3f9x2ab", "tipi agent my-team/mnist/k3f9x2ab --count 5"],
    examplesNotRun: "needs a sweep on a W&B server",
  },
  {
    name: "report",
    summary: "Write a self-contained HTML report of a run or a sweep (works offline).",
    description:
      "Curves per split against step or epoch, learning rate, confusion matrix and per-class " +
      "table, the config with the keys set on the command line marked, backend and versions, step " +
      "timings, checkpoints and W&B sync state; for a sweep, the trials ranked by the metric, " +
      "parallel coordinates, the metric against each parameter and the trials hyperband stopped. " +
      "Charts, styles and data are inside the file: it loads nothing from anywhere. A run that " +
      "crashed, or comes from an older tipi, renders what it has and lists what is missing. Exit " +
      "code 2 when the target is not a run or sweep.",
    arguments: [
      {
        name: "target",
        required: false,
        description:
          "A run directory, a sweep directory, a run id (or unique prefix, `last`, or `last~1` for " +
          "the run before the newest), or a pipeline (its newest run). Default: `last`.",
      },
    ],
    options: [
      {
        name: "out",
        short: "o",
        type: "string",
        value: "file.html",
        description:
          "Where to write the report (default: report.html in the run or sweep directory; `-`: stdout).",
      },
      RUNS_ROOT,
    ],
    examples: [
      "tipi report",
      "tipi report fashion-mnist --out run.html",
      "tipi report runs/sweeps/fashion-mnist-lr-search",
    ],
  },
  {
    name: "ui",
    summary: "Serve a live dashboard of the runs and sweeps on http://127.0.0.1.",
    description:
      "Lists runs and sweeps, shows each as `tipi report` does, compares selected runs on the same " +
      "axes, and follows a running run as its history.jsonl grows (server-sent events; the run " +
      "directories are the only source of truth). Binds 127.0.0.1 unless --host says otherwise. " +
      "Stops on Ctrl-C.",
    arguments: [],
    options: [
      RUNS_ROOT,
      {
        name: "port",
        short: "p",
        type: "number",
        value: "n",
        default: 6007,
        description: "The port (0: any free port).",
      },
      {
        name: "host",
        type: "string",
        value: "address",
        default: "127.0.0.1",
        description:
          "The address to listen on; anything but a loopback address lets other machines read your runs.",
      },
    ],
    examples: ["tipi ui", "tipi ui --runs out/runs --port 8080"],
    examplesNotRun: "serves until Ctrl-C, on a fixed port",
  },
];

/** Finds a command by name. */
export function findCommand(name: string): CommandDef | undefined {
  return COMMANDS.find((command) => command.name === name);
}
