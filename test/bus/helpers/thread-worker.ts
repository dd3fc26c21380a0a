// Worker-thread side of the thread-publisher tests.
import { parentPort, workerData } from "node:worker_threads";
import { ThreadPublisher } from "../../../src/bus/thread-publisher.js";

const { handle, n, mode } = workerData as {
  handle: ConstructorParameters<typeof ThreadPublisher>[0];
  n: number;
  mode: string;
};
const pub = new ThreadPublisher(handle);
let accepted = 0;
for (let i = 0; i < n; i++) {
  if (pub.publish("decky.web01.traffic", { i }, "tls_session")) accepted++;
  if (mode === "stream" && i % 100 === 99) await new Promise((r) => setImmediate(r));
  if (mode === "slow") {
    // One event at a time, with time for the main thread to take each.
    pub.flush();
    await new Promise((r) => setTimeout(r, 2));
  }
}
if (mode === "bad") pub.publish("decky.*.bad", { i: -1 });
pub.flush();
parentPort?.postMessage({ accepted, dropped: pub.dropped });
