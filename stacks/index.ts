/**
 * The Socle program (Pulumi.yaml `main: stacks/`). Reads and validates the
 * stack config, checks the placement, then declares everything; see
 * stacks/program.ts. The exported names are the stack outputs.
 */
import { loadConfig } from "./config.js";
import { buildProgram } from "./program.js";
import { stackOutputs } from "./outputs.js";
import { backupHostExtras } from "./backup-units.js";

const cfg = loadConfig();
const outputs = stackOutputs(buildProgram(cfg, { hostExtras: backupHostExtras(cfg) }));

export const tenants = outputs.tenants;
export const keycloak = outputs.keycloak;
export const hosts = outputs.hosts;
export const capacity = outputs.capacity;
export const capacityTable = outputs.capacityTable;
export const peertubeHostnames = outputs.peertubeHostnames;
export const networkSlots = outputs.networkSlots;
