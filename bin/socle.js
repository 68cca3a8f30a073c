#!/usr/bin/env node
// The `socle` CLI: registers tsx (TypeScript, in this process) and runs scripts/cli.ts.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../scripts/cli.ts");
process.exit(await run(process.argv.slice(2)));
