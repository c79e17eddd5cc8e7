#!/usr/bin/env node
// `npx tipi …` in a project that installed `tipi`: the command of @tipi/cli.
import "@tipi/cli/bin";
