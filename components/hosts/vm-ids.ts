/**
 * Proxmox VM ids of the hosts (pure, no import: the config reader checks the
 * template's id against them before any provider is loaded).
 */

/** VM ids: `VMID_BASE + index` (2000, 2001, …), clear of the usual template ids (9000+). */
export const VMID_BASE = 2000;
/** Highest VM id Proxmox accepts. */
export const VMID_MAX = 999_999_999;

export function vmIdFor(index: number, base = VMID_BASE): number {
  if (!Number.isInteger(index) || index < 0) {
    throw new Error(`vmIdFor: index must be a non-negative integer, got ${index}`);
  }
  if (!Number.isInteger(base) || base < 100)
    throw new Error(`vmIdFor: base must be an integer >= 100, got ${base}`);
  const id = base + index;
  if (id > VMID_MAX) throw new Error(`vmIdFor: VM id ${id} is above ${VMID_MAX}`);
  return id;
}
