import { pidAlive, readState, stateFilePath } from '../state/index.js';

/** The running supervisor's control-plane URL (from the state file), or a message saying why there is none. */
export function controlPlaneUrl(): string {
  const path = stateFilePath();
  const state = readState(path);
  if (!state) throw new Error(`no topology is running (no state file at ${path}); start one with "borealis up"`);
  if (!pidAlive(state.pid)) throw new Error(`the topology's supervisor (pid ${state.pid}) is gone; run "borealis down" to clean up`);
  if (state.status !== 'ready' || !state.description) throw new Error('the topology is still starting');
  return state.description.controlPlane;
}

/** POST to the supervisor's promotion API; rejects with the API's error message. */
export async function callControlPlane<T>(base: string, path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (err) {
    throw new Error(`the control plane at ${base} does not answer: ${(err as Error).message}`, { cause: err });
  }
  const out = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(out.error ?? `${path} answered ${res.status}`);
  return out;
}
