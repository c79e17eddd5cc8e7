#!/usr/bin/env node
/**
 * Cuts a release: one version for every package, a CHANGELOG section, a build.
 *
 *   node scripts/release.mjs <version> [--dry-run] [--publish] [--skip-build] [--root <dir>]
 *
 * - sets "version" in every packages/<name>/package.json and VERSION in
 *   packages/cli/src/version.ts (`tipi --version`; a test keeps it equal to @tipi/cli's);
 * - prepends a "## <version>" section to CHANGELOG.md with the subjects of the commits since
 *   the last v* tag (kept as it is when CHANGELOG.md already has that version);
 * - runs `pnpm build`;
 * - prints the commit, publish and tag commands. With --publish it runs them instead
 *   (commit, `pnpm -r --filter "./packages/*" publish --access public`, `git tag`).
 *
 * --dry-run prints what would change and writes, builds and runs nothing.
 * --root runs against another checkout (the tests use a temporary one).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const USAGE =
  "usage: node scripts/release.mjs <version> [--dry-run] [--publish] [--skip-build] [--root <dir>]";
const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const VERSION_FIELD = /^(\s*"version"\s*:\s*")([^"]*)(")/m;
const VERSION_CONST = /(export const VERSION = ")([^"]*)(";)/;
const PUBLISH = ["pnpm", "-r", "--filter", "./packages/*", "publish", "--access", "public"];

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      "dry-run": { type: "boolean", default: false },
      publish: { type: "boolean", default: false },
      "skip-build": { type: "boolean", default: false },
      root: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (error) {
  fail(`${error.message}\n${USAGE}`);
}
const { values: flags, positionals } = parsed;
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const version = positionals[0];
if (positionals.length !== 1 || version === undefined) fail(USAGE);
if (!SEMVER.test(version)) fail(`"${version}" is not a version (x.y.z or x.y.z-pre)`);
if (flags["dry-run"] && flags.publish) fail("--dry-run and --publish exclude each other");

const root = resolve(flags.root ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const dryRun = flags["dry-run"];
const tag = `v${version}`;
const rel = (path) => relative(root, path) || ".";

function git(args) {
  const result = spawnSync("git", args, { cwd: root, encoding: "utf8" });
  return { ok: result.status === 0, out: (result.stdout ?? "").trim(), err: result.stderr };
}

function run(command, args) {
  console.log(`$ ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) fail(`${command} ${args.join(" ")} exited ${result.status}`);
}

const quote = (arg) => (/^[\w./@:=-]+$/.test(arg) ? arg : `"${arg}"`);

if (git(["tag", "--list", tag]).out === tag) fail(`tag ${tag} exists already`);

// 1. Versions: every packages/*/package.json and packages/cli/src/version.ts.
/** @type {{ path: string, before: string, after: string }[]} */
const writes = [];
const packagesDir = join(root, "packages");
if (!existsSync(packagesDir)) fail(`no packages/ in ${root}`);
const manifests = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(packagesDir, entry.name, "package.json"))
  .filter((path) => existsSync(path))
  .sort();
console.log(`${dryRun ? "would set" : "setting"} version ${version}:`);
for (const path of manifests) {
  const before = readFileSync(path, "utf8");
  const { name, version: old } = JSON.parse(before);
  if (!VERSION_FIELD.test(before)) fail(`${rel(path)} has no "version" field`);
  const after = before.replace(VERSION_FIELD, `$1${version}$3`);
  console.log(`  ${rel(path)}  ${name} ${old} → ${version}`);
  writes.push({ path, before, after });
}
const versionTs = join(packagesDir, "cli", "src", "version.ts");
if (existsSync(versionTs)) {
  const before = readFileSync(versionTs, "utf8");
  const match = VERSION_CONST.exec(before);
  if (match === null) fail(`${rel(versionTs)} has no export const VERSION = "…"`);
  console.log(`  ${rel(versionTs)}  VERSION ${match[2]} → ${version}`);
  writes.push({ path: versionTs, before, after: before.replace(VERSION_CONST, `$1${version}$3`) });
}

// 2. CHANGELOG.md: a section from the commits since the last v* tag.
const changelog = join(root, "CHANGELOG.md");
const before = existsSync(changelog) ? readFileSync(changelog, "utf8") : "# Changelog\n";
const heading = new RegExp(`^## ${version.replaceAll(".", "\\.")}(?:\\s|$)`, "m");
if (heading.test(before)) {
  console.log(`CHANGELOG.md already has a ${version} section: kept as it is`);
} else {
  const last = git(["describe", "--tags", "--abbrev=0", "--match", "v*"]);
  const range = last.ok ? [`${last.out}..HEAD`] : [];
  const log = git(["log", "--no-merges", "--format=%s", ...range]);
  if (!log.ok) fail(`git log failed: ${log.err}`);
  const subjects = log.out.split("\n").filter((line) => line.trim() !== "");
  const date = new Date().toISOString().slice(0, 10);
  const since = last.ok ? `since ${last.out}` : "since the first commit (no v* tag yet)";
  const section = [
    `## ${version} (${date})`,
    "",
    `Commits ${since}:`,
    "",
    ...(subjects.length > 0 ? subjects.map((s) => `- ${s}`) : ["- (no commits)"]),
    "",
    "",
  ].join("\n");
  const first = before.search(/^## /m);
  const after =
    first === -1
      ? `${before.trimEnd()}\n\n${section}`
      : `${before.slice(0, first)}${section}${before.slice(first)}`;
  console.log(`${dryRun ? "would prepend" : "prepending"} to CHANGELOG.md:\n\n${section}`);
  writes.push({ path: changelog, before, after });
}

const changed = writes.filter((w) => w.before !== w.after).map((w) => rel(w.path));
const add = ["git", "add", "--", ...changed];
const commit = ["git", "commit", "-m", `release: ${tag}`, "--", ...changed];
const tagCommand = ["git", "tag", "-a", tag, "-m", tag];
const commands = changed.length > 0 ? [add, commit, PUBLISH, tagCommand] : [PUBLISH, tagCommand];
if (dryRun) {
  console.log(`dry run: nothing written (${changed.length} files would change), nothing built.`);
  console.log("then:");
  for (const c of commands) console.log(`  ${c.map(quote).join(" ")}`);
  process.exit(0);
}

for (const w of writes) if (w.before !== w.after) writeFileSync(w.path, w.after);

// 3. Build: what gets published is dist/.
if (!flags["skip-build"]) run("pnpm", ["build"]);

// 4. Publish and tag, or say how.
if (flags.publish) {
  for (const c of commands) run(c[0], c.slice(1));
  console.log(`published ${version}; push with: git push --follow-tags`);
} else {
  console.log(
    `\nversion ${version} is set${flags["skip-build"] ? "" : " and built"}. Review CHANGELOG.md, then:`,
  );
  for (const c of commands) console.log(`  ${c.map(quote).join(" ")}`);
  console.log("  git push --follow-tags");
}
