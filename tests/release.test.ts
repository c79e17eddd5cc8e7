import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { repoRoot } from "./docs-checker.ts";

const script = join(repoRoot, "scripts/release.mjs");

function release(root: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [script, ...args, "--root", root], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small checkout: two packages, the CLI's version.ts, a v0.1.0 tag and one commit after it. */
function fakeCheckout(dir: string): void {
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      cwd: dir,
      stdio: "ignore",
    });
  const manifest = (name: string) =>
    `${JSON.stringify({ name, version: "0.1.0", dependencies: { "@tipi/core": "workspace:*" } }, null, 2)}\n`;
  mkdirSync(join(dir, "packages/core"), { recursive: true });
  mkdirSync(join(dir, "packages/cli/src"), { recursive: true });
  writeFileSync(join(dir, "packages/core/package.json"), manifest("@tipi/core"));
  writeFileSync(join(dir, "packages/cli/package.json"), manifest("@tipi/cli"));
  writeFileSync(
    join(dir, "packages/cli/src/version.ts"),
    '/** The version. */\nexport const VERSION = "0.1.0";\n',
  );
  writeFileSync(join(dir, "CHANGELOG.md"), "# Changelog\n\n## 0.1.0 (2026-12-01)\n\n- first\n");
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "core: before the release");
  git("tag", "v0.1.0");
  writeFileSync(join(dir, "packages/core/index.js"), "export {};\n");
  git("add", ".");
  git("commit", "-q", "-m", "cli: after the release");
}

/** Every file of the checkout (without .git) and its content. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const path = sub === "" ? e.name : `${sub}/${e.name}`;
      if (e.name === ".git") continue;
      if (e.isDirectory()) walk(path);
      else files[path] = readFileSync(join(dir, path), "utf8");
    }
  };
  walk("");
  return files;
}

describe("scripts/release.mjs", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "tipi-release-"));
    fakeCheckout(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("--dry-run says what it would change and writes nothing", () => {
    const before = snapshot(dir);
    const r = release(dir, "0.2.0", "--dry-run");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("packages/cli/package.json  @tipi/cli 0.1.0 → 0.2.0");
    expect(r.stdout).toContain("packages/core/package.json  @tipi/core 0.1.0 → 0.2.0");
    expect(r.stdout).toContain("packages/cli/src/version.ts  VERSION 0.1.0 → 0.2.0");
    // The section lists the commits since the last v* tag, not those before it.
    expect(r.stdout).toMatch(
      /## 0\.2\.0 \(\d{4}-\d\d-\d\d\)\n\nCommits since v0\.1\.0:\n\n- cli: after/,
    );
    expect(r.stdout).not.toContain("core: before the release");
    expect(r.stdout).toContain('pnpm -r --filter "./packages/*" publish --access public');
    expect(r.stdout).toContain("git tag -a v0.2.0 -m v0.2.0");
    expect(snapshot(dir)).toEqual(before);
  });

  test("without --dry-run it sets every version and prepends the changelog section", () => {
    const r = release(dir, "0.2.0", "--skip-build");
    expect(r.status).toBe(0);
    for (const pkg of ["core", "cli"]) {
      const manifest = JSON.parse(readFileSync(join(dir, `packages/${pkg}/package.json`), "utf8"));
      expect(manifest.version).toBe("0.2.0");
      // workspace:* stays: pnpm publish rewrites it to the version.
      expect(manifest.dependencies).toEqual({ "@tipi/core": "workspace:*" });
    }
    expect(readFileSync(join(dir, "packages/cli/src/version.ts"), "utf8")).toContain(
      'export const VERSION = "0.2.0";',
    );
    const changelog = readFileSync(join(dir, "CHANGELOG.md"), "utf8");
    expect(changelog).toMatch(
      /^# Changelog\n\n## 0\.2\.0 \(.*\)\n\nCommits since v0\.1\.0:\n\n- cli: after the release\n\n## 0\.1\.0/,
    );
    expect(r.stdout).toContain("git add -- packages/cli/package.json");
    expect(r.stdout).not.toContain("$ pnpm"); // nothing published
    expect(execFileSync("git", ["tag"], { cwd: dir, encoding: "utf8" }).trim()).toBe("v0.1.0");
  });

  test("a version CHANGELOG.md already has keeps its section", () => {
    execFileSync("git", ["tag", "-d", "v0.1.0"], { cwd: dir, stdio: "ignore" });
    const r = release(dir, "0.1.0", "--skip-build");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("CHANGELOG.md already has a 0.1.0 section");
    expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toBe(
      "# Changelog\n\n## 0.1.0 (2026-12-01)\n\n- first\n",
    );
  });

  test("refuses a bad version, an existing tag and unknown flags", () => {
    expect(release(dir, "1.2").status).toBe(2);
    expect(release(dir, "0.1.0", "--dry-run").stderr).toContain("tag v0.1.0 exists already");
    expect(release(dir, "0.2.0", "--nope").status).toBe(2);
    expect(release(dir, "0.2.0", "--dry-run", "--publish").status).toBe(2);
  });

  test("a dry run of this checkout covers every package", () => {
    const packages = readdirSync(join(repoRoot, "packages"));
    const r = release(repoRoot, "99.0.0", "--dry-run");
    expect(r.status).toBe(0);
    for (const p of packages) expect(r.stdout).toContain(`packages/${p}/package.json`);
  });
});
