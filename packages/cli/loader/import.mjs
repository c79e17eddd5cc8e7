// `node --import @tipi/cli/register file.ts`: run TypeScript with tipi's module hooks.
import { registerTypeScript } from "./register.mjs";

await registerTypeScript();
