/**
 * A full garbage collection of this thread's heap, for the engine to call when it drops a
 * large shared buffer. The main thread allocates almost nothing while stages run, so V8 can
 * leave a released 896 MB SharedArrayBuffer (a million windows' features) unreclaimed while
 * the next stage reads its own (on the 300k demo, a `--jobs 1` run's last four stages each held
 * one stale 256 MB matrix beside their own without this). `gc` is exposed for one lookup only,
 * the way jest's leak detector reaches it, so no user code sees a global `gc`.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
    setFlagsFromString("--no-expose-gc");
  }
  gc();
}
