import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import { createRng } from "../../../src/core/rng.ts";
import { stageContext } from "../../helpers/stage-context.ts";
import { makeFit, SAMPLE_METRICS } from "./fit-fixture.ts";
import { startSink, type Sink } from "../../helpers/loopback-sink.ts";

/** Every outgoing connection attempt, seen through node's and undici's diagnostics channels. */
function watchConnections(): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const channels = ["net.client.socket", "undici:client:beforeConnect"];
  const listeners = channels.map((name) => {
    const listener = (): void => void seen.push(name);
    subscribe(name, listener);
    return [name, listener] as const;
  });
  return { seen, stop: () => listeners.forEach(([name, listener]) => unsubscribe(name, listener)) };
}

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe("offline guarantee", () => {
  it("importing the publish code and the stage, and a dry run, open no connection", async () => {
    const watch = watchConnections();
    try {
      await import("../../../src/publish/deliver.ts");
      await import("../../../src/publish/http.ts");
      await import("../../../src/publish/stream.ts");
      await import("../../../src/cli/commands/stream.ts");
      const publish = (await import("../../../stages/publish.ts")).default;
      const params = publish.params.parse({ dry_run: true });
      const { receipt } = await publish.run(stageContext(params, { fit: makeFit(50).bytes, metrics: SAMPLE_METRICS }));
      expect(receipt).toMatchObject({ dry_run: true, sent: 0 });
    } finally {
      watch.stop();
    }
    expect(watch.seen).toEqual([]);
  });

  it("the watcher does see a real delivery connect (so the check above can fail)", async () => {
    const { deliverEvents } = await import("../../../src/publish/deliver.ts");
    sink = await startSink();
    const watch = watchConnections();
    try {
      const events = [{ type: "model_metric", model: "knn", accuracy: 1 }] as const;
      await deliverEvents(events, { url: sink.url, burst: 1, rateHz: 0, timeoutMs: 10_000, retries: 0, rng: createRng(0) });
    } finally {
      watch.stop();
    }
    expect(watch.seen.length).toBeGreaterThan(0);
  });
});
