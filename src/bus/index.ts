/** The service bus (DESIGN §5): one interface, transports in-process, UNIX socket, NATS, null. */
export {
  type Bus,
  BusClosedError,
  type BusKind,
  BusPayloadError,
  DEFAULT_SUBSCRIPTION_QUEUE,
  publishSafely,
  type SubscribeOptions,
  type Subscription,
} from "./bus.js";
export { type BusEvent, ENVELOPE_VERSION, type JsonObject, makeEnvelope, newEventId } from "./envelope.js";
export { encodeFrame, FrameDecoder, MAX_BODY_BYTES, MAX_HEADER_BYTES, type Verb } from "./frame.js";
export { BUS_HEALTH_INTERVAL_MS, type Heartbeat, startWorkerHealth } from "./health.js";
export { type BusLog, silentLog, stderrLog } from "./log.js";
export { topicMatches } from "./match.js";
export {
  BusConfigError,
  type BusFileConfig,
  type BusFlags,
  type BusSettings,
  createBus,
  defaultSocketPath,
  resolveBusSettings,
  selectBus,
} from "./select.js";
export { ThreadBusBridge, type ThreadBusHandle, ThreadPublisher } from "./thread-publisher.js";
export {
  ATTACKER_FINGERPRINTED,
  deckyTraffic,
  FINGERPRINT_TYPES,
  isValidPattern,
  isValidTopic,
  SYSTEM_BUS_HEALTH,
  systemHealth,
  TopicError,
  TRAFFIC_SUMMARY_TYPES,
  topicOf,
} from "./topics.js";
export { InProcBroker, InProcBus, sharedInProcBroker } from "./transports/inproc.js";
export { NatsBus } from "./transports/nats.js";
export { NullBus } from "./transports/null.js";
export { UnixBusClient } from "./transports/unix-client.js";
export { UnixBusServer } from "./transports/unix-server.js";
