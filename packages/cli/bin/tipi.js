#!/usr/bin/env node
// The `tipi` command: the built CLI (dist/bin.js). A file of its own so that pnpm can link the
// command in a fresh checkout before the build has run.
import "../dist/bin.js";
