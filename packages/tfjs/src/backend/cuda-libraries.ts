import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/**
 * The shared libraries libtensorflow 2.9 (inside tfjs-node-gpu 4.22) opens to use a GPU: the
 * CUDA 11 runtime and maths libraries and cuDNN 8. When one is missing TensorFlow logs a warning
 * and runs on the CPU: nothing throws.
 */
export const CUDA_LIBRARIES = [
  "libcuda.so.1",
  "libcudart.so.11.0",
  "libcublas.so.11",
  "libcublasLt.so.11",
  "libcufft.so.10",
  "libcurand.so.10",
  "libcusolver.so.11",
  "libcusparse.so.11",
  "libcudnn.so.8",
] as const;

/**
 * The {@link CUDA_LIBRARIES} the dynamic loader would not find: it looks in `LD_LIBRARY_PATH`,
 * then the `ldconfig` cache, then `/lib` and `/usr/lib`. Linux only (elsewhere: none missing,
 * since there is no way to tell).
 */
export async function missingCudaLibraries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  if (process.platform !== "linux") return [];
  const dirs = (env.LD_LIBRARY_PATH ?? "").split(":").filter((dir) => dir !== "");
  dirs.push("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/lib/x86_64-linux-gnu");
  const cached = await ldconfigCache();
  return CUDA_LIBRARIES.filter(
    (name) => !cached.has(name) && !dirs.some((dir) => existsSync(join(dir, name))),
  );
}

function ldconfigCache(): Promise<Set<string>> {
  return new Promise((resolve) => {
    const command = existsSync("/sbin/ldconfig") ? "/sbin/ldconfig" : "ldconfig";
    execFile(command, ["-p"], { timeout: 5_000, encoding: "utf8" }, (error, stdout) => {
      const names = new Set<string>();
      if (!error) {
        for (const line of stdout.split("\n")) {
          const name = line.trim().split(" ")[0];
          if (name?.startsWith("lib")) names.add(name);
        }
      }
      resolve(names);
    });
  });
}
