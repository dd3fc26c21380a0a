import { isUtf8 } from "node:buffer";
import { randomFillSync } from "node:crypto";

/** Envelope schema version (DESIGN §5 "Bus envelope"). */
export const ENVELOPE_VERSION = 1;

/** A JSON object: what a payload is. */
export type JsonObject = { [key: string]: unknown };

/**
 * The bus envelope: `{"v", "id", "topic", "type", "ts", "payload"}`. Field order is the wire order
 * (DECNET's `Event.to_dict`). One event object is shared by every subscriber that receives it
 * (and, in process, with the publisher's payload): treat it as read-only.
 */
export interface BusEvent {
  readonly v: number;
  /** 32 lowercase hex digits (a UUID4 without dashes, like Python's `uuid4().hex`). */
  readonly id: string;
  readonly topic: string;
  /** Short discriminator, e.g. a sniffer event type; "" when unset. */
  readonly type: string;
  /** Epoch seconds (float). */
  readonly ts: number;
  readonly payload: JsonObject;
}

// Random bytes for ids, refilled 256 ids at a time (one getrandom call instead of one per event).
const idPool = Buffer.allocUnsafe(16 * 256);
let idOff = idPool.length;

/** A fresh event id: a random UUID4 as 32 lowercase hex digits, no dashes. */
export function newEventId(): string {
  if (idOff === idPool.length) {
    randomFillSync(idPool);
    idOff = 0;
  }
  const o = idOff;
  idOff += 16;
  idPool[o + 6] = (idPool[o + 6] & 0x0f) | 0x40; // version 4
  idPool[o + 8] = (idPool[o + 8] & 0x3f) | 0x80; // RFC 4122 variant
  return idPool.toString("hex", o, o + 16);
}

/** True for a non-null, non-array object (what JSON calls an object). */
export function isJsonObject(x: unknown): x is JsonObject {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Builds a new envelope for `topic` (not validated here; transports validate). */
export function makeEnvelope(topic: string, payload: JsonObject, type = "", nowMs = Date.now()): BusEvent {
  return { v: ENVELOPE_VERSION, id: newEventId(), topic, type, ts: nowMs / 1000, payload };
}

/**
 * The wire JSON of an envelope, keys in DECNET's order. Objects built here (makeEnvelope,
 * envelopeFromValue) already have that order and are stringified as they are; anything else is
 * copied into it first. Throws on unserialisable payloads.
 */
export function envelopeToJson(ev: BusEvent): string {
  return JSON.stringify(isWireOrdered(ev) ? ev : copyEnvelope(ev));
}

function copyEnvelope(ev: BusEvent): BusEvent {
  return { v: ev.v, id: ev.id, topic: ev.topic, type: ev.type, ts: ev.ts, payload: ev.payload };
}

/** True when `ev` has exactly the six keys, in wire order. */
function isWireOrdered(ev: BusEvent): boolean {
  let i = 0;
  for (const k in ev) {
    if (k !== WIRE_KEYS[i++]) return false;
  }
  return i === 6;
}

const WIRE_KEYS = ["v", "id", "topic", "type", "ts", "payload"];

/** Why a body was refused as an envelope. */
export type EnvelopeFault =
  | "not_json"
  | "not_object"
  | "bad_version"
  | "bad_id"
  | "bad_type"
  | "bad_ts"
  | "bad_payload";

/** Longest accepted `id`/`type` string: generous for UUIDs and event names, small next to 1 MiB. */
export const MAX_ENVELOPE_STRING = 256;

export interface ParsedEnvelope {
  event?: BusEvent;
  fault?: EnvelopeFault;
  /**
   * True when the body was exactly the six envelope fields, well typed, with `topic` equal to the
   * frame's topic: the bytes can then be forwarded unchanged.
   */
  canonical: boolean;
}

const CANONICAL_KEYS = new Set(["v", "id", "topic", "type", "ts", "payload"]);

/**
 * Reads an envelope out of a parsed JSON value. The topic always comes from the transport (the
 * frame or the NATS subject), never from the body. Missing fields get DECNET's defaults (`v` 1,
 * fresh `id`, `type` "", `ts` now, `payload` {}); present fields of the wrong type are refused.
 * Never throws.
 */
export function envelopeFromValue(topic: string, value: unknown, nowMs = Date.now()): ParsedEnvelope {
  if (!isJsonObject(value)) return { fault: "not_object", canonical: false };
  const { v, id, type, ts, payload } = value;
  let canonical = value.topic === topic;
  let nv = ENVELOPE_VERSION;
  if (v !== undefined && v !== null) {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) return { fault: "bad_version", canonical: false };
    nv = v;
  } else canonical = false;
  let nid: string;
  if (typeof id === "string" && id.length > 0) {
    if (id.length > MAX_ENVELOPE_STRING) return { fault: "bad_id", canonical: false };
    nid = id;
  } else if (id === undefined || id === null || id === "") {
    nid = newEventId();
    canonical = false;
  } else return { fault: "bad_id", canonical: false };
  let ntype = "";
  if (typeof type === "string") {
    if (type.length > MAX_ENVELOPE_STRING) return { fault: "bad_type", canonical: false };
    ntype = type;
  } else if (type === undefined || type === null) canonical = false;
  else return { fault: "bad_type", canonical: false };
  let nts: number;
  if (typeof ts === "number") {
    if (!Number.isFinite(ts)) return { fault: "bad_ts", canonical: false };
    nts = ts;
  } else if (ts === undefined || ts === null) {
    nts = nowMs / 1000;
    canonical = false;
  } else return { fault: "bad_ts", canonical: false };
  let npayload: JsonObject;
  if (isJsonObject(payload)) npayload = payload;
  else if (payload === undefined || payload === null) {
    npayload = {};
    canonical = false;
  } else return { fault: "bad_payload", canonical: false };
  if (canonical) {
    let n = 0;
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      if (!CANONICAL_KEYS.has(k)) {
        canonical = false;
        break;
      }
      n++;
    }
    if (n !== 6) canonical = false;
  }
  const event: BusEvent = { v: nv, id: nid, topic, type: ntype, ts: nts, payload: npayload };
  return { event, canonical };
}

/**
 * The event of a received body (UTF-8 JSON), or undefined when it is not valid UTF-8 or
 * not an envelope (the receiver counts it). The topic is the transport's. Never throws.
 */
export function envelopeFromBytes(topic: string, body: Uint8Array): BusEvent | undefined {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isUtf8(b)) return undefined;
  return envelopeFromJson(topic, b.toString("utf8")).event;
}

/** `envelopeFromValue` over JSON text. Never throws. */
export function envelopeFromJson(topic: string, text: string, nowMs = Date.now()): ParsedEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { fault: "not_json", canonical: false };
  }
  return envelopeFromValue(topic, value, nowMs);
}
