// Part of the build: copies the code of examples/fashion-mnist into templates/ so that an
// installed CLI can write it (`tipi init <dir> --example fashion-mnist`). The example stays the
// one source; templates/ is generated and not in git.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const FILES = [
  "pipeline.toml",
  "pipeline.ts",
  "model.ts",
  "train.ts",
  "custom-train.ts",
  "sweep.yaml",
];
const from = new URL("../../../examples/fashion-mnist/", import.meta.url);
const to = new URL("../templates/fashion-mnist/", import.meta.url);

rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
for (const file of FILES) copyFileSync(new URL(file, from), new URL(file, to));
