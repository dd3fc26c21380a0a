/**
 * Hand-built capture files, written byte by byte from the pcap and pcapng specifications
 * (not produced by our code). Expected values are worked out by hand in the comments.
 */

/** Bytes from hex text; `#` starts a comment that runs to the end of the line. */
export function hex(text: string): Buffer {
  const digits = text
    .split("\n")
    .map((line) => line.replace(/#.*/, ""))
    .join("")
    .replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`bad hex fixture: ${digits}`);
  return Buffer.from(digits, "hex");
}

/** What a test expects of one frame. */
export interface ExpectedFrame {
  linktype: number;
  tsUs: number;
  hex: string;
  origLen: number;
  interfaceId: number;
}

export interface Fixture {
  name: string;
  bytes: Buffer;
  format: "pcap" | "pcapng";
  frames: ExpectedFrame[];
  malformed: Record<string, number>;
}

// 1700000000 = 0x6553f100; 123456 = 0x0001e240; 999999 = 0x000f423f
export const PCAP_LE_US: Fixture = {
  name: "pcap little-endian microseconds",
  format: "pcap",
  bytes: hex(`
    d4 c3 b2 a1  02 00 04 00  00 00 00 00  00 00 00 00   # magic, v2.4, thiszone, sigfigs
    ff ff 00 00  01 00 00 00                             # snaplen 65535, linktype 1 (Ethernet)
    00 f1 53 65  40 e2 01 00  04 00 00 00  3c 00 00 00   # 1700000000 s + 123456 us, incl 4, orig 60
    de ad be ef
    01 f1 53 65  3f 42 0f 00  03 00 00 00  03 00 00 00   # 1700000001 s + 999999 us, incl 3, orig 3
    01 02 03
  `),
  frames: [
    { linktype: 1, tsUs: 1700000000123456, hex: "deadbeef", origLen: 60, interfaceId: 0 },
    { linktype: 1, tsUs: 1700000001999999, hex: "010203", origLen: 3, interfaceId: 0 },
  ],
  malformed: {},
};

// 123456789 ns = 0x075bcd15 -> 123456 us (truncated); 999999999 = 0x3b9ac9ff
export const PCAP_BE_NS: Fixture = {
  name: "pcap big-endian nanoseconds, FCS bits in the link type",
  format: "pcap",
  bytes: hex(`
    a1 b2 3c 4d  00 02 00 04  00 00 00 00  00 00 00 00
    00 00 ff ff  14 00 00 65                             # linktype 101 with FCS length/flag bits set above bit 16
    65 53 f1 00  07 5b cd 15  00 00 00 02  00 00 00 02   # 1700000000 s + 123456789 ns, incl 2, orig 2
    45 00
    65 53 f1 00  3b 9a c9 ff  00 00 00 00  00 00 05 dc   # + 999999999 ns, incl 0, orig 1500
  `),
  frames: [
    { linktype: 101, tsUs: 1700000000123456, hex: "4500", origLen: 2, interfaceId: 0 },
    { linktype: 101, tsUs: 1700000000999999, hex: "", origLen: 1500, interfaceId: 0 },
  ],
  malformed: {},
};

// 1600000000 = 0x5f5e1000
export const PCAP_BE_US: Fixture = {
  name: "pcap big-endian microseconds, BSD loopback",
  format: "pcap",
  bytes: hex(`
    a1 b2 c3 d4  00 02 00 04  00 00 00 00  00 00 00 00
    00 04 00 00  00 00 00 00                             # snaplen 262144, linktype 0 (NULL)
    5f 5e 10 00  00 00 00 07  00 00 00 05  00 00 00 05   # 1600000000 s + 7 us
    02 00 00 00  60
  `),
  frames: [{ linktype: 0, tsUs: 1600000000000007, hex: "0200000060", origLen: 5, interfaceId: 0 }],
  malformed: {},
};

export const PCAP_LE_NS: Fixture = {
  name: "pcap little-endian nanoseconds, DLT_RAW 12 and a truncated last record",
  format: "pcap",
  bytes: hex(`
    4d 3c b2 a1  02 00 04 00  00 00 00 00  00 00 00 00
    ff ff 00 00  0c 00 00 00                             # linktype 12 = DLT_RAW, read as LINKTYPE_RAW (101)
    00 f1 53 65  15 cd 5b 07  01 00 00 00  01 00 00 00   # 1700000000 s + 123456789 ns, incl 1
    45
    00 f1 53 65  00 00 00 00  08 00 00 00  08 00 00 00   # incl 8 but only 3 bytes follow
    45 00 00
  `),
  frames: [{ linktype: 101, tsUs: 1700000000123456, hex: "45", origLen: 1, interfaceId: 0 }],
  malformed: { "pcap.truncated_record": 1 },
};

// Section 1 (little-endian): IDB 0 Ethernet at 10^-9 s, IDB 1 raw IP at 2^-20 s.
//   1700000000123456789 ns = 0x17979cfe_3d85cd15 -> 1700000000123456 us
//   1700000000·2^20 + 786435 ticks = 0x0006553f_100c0003 -> 1700000000 s + 786435/2^20 s = ...750002.86 us
//   1700000001·2^20 ticks = 0x0006553f_10100000 -> 1700000001000000 us
// Section 2 (big-endian): IDB 0 NULL at 10^-6 s with if_tsoffset 100 s, snaplen 4.
//   1600000000000001 us = 0x0005af31_07a40001, + 100 s -> 1600000100000001
export const PCAPNG_TWO_SECTIONS: Fixture = {
  name: "pcapng two interfaces, SPB, PB, unknown block, options, byte-order switch",
  format: "pcapng",
  bytes: hex(`
    0a 0d 0d 0a  28 00 00 00  4d 3c 2b 1a  01 00 00 00   # SHB, 40 bytes, LE, v1.0
    ff ff ff ff  ff ff ff ff                             # section length -1
    04 00 04 00  74 65 73 74  00 00 00 00                # shb_userappl "test", opt_endofopt
    28 00 00 00

    01 00 00 00  28 00 00 00  01 00 00 00  00 00 04 00   # IDB 0: 40 bytes, Ethernet, snaplen 262144
    02 00 04 00  65 74 68 30                             # if_name "eth0"
    09 00 01 00  09 00 00 00                             # if_tsresol 9 (ns), 3 padding bytes
    00 00 00 00  28 00 00 00

    01 00 00 00  1c 00 00 00  65 00 00 00  00 00 00 00   # IDB 1: 28 bytes, raw IP, snaplen 0
    09 00 01 00  94 00 00 00                             # if_tsresol 0x94 = 2^-20, no opt_endofopt
    1c 00 00 00

    06 00 00 00  34 00 00 00  00 00 00 00                # EPB 52 bytes, interface 0
    fe 9c 97 17  15 cd 85 3d  05 00 00 00  05 00 00 00   # ts high, ts low, caplen 5, orig 5
    aa bb cc dd  ee 00 00 00                             # data + padding
    01 00 03 00  61 62 63 00  00 00 00 00                # opt_comment "abc", opt_endofopt
    34 00 00 00

    ad 0b 00 00  10 00 00 00  01 02 03 04  10 00 00 00   # unknown block type 0xbad, 16 bytes

    06 00 00 00  24 00 00 00  01 00 00 00                # EPB 36 bytes, interface 1
    3f 55 06 00  03 00 0c 10  04 00 00 00  dc 05 00 00   # caplen 4, orig 1500
    45 00 00 14  24 00 00 00

    03 00 00 00  18 00 00 00  06 00 00 00                # SPB 24 bytes, orig 6 (interface 0, snaplen 262144)
    01 02 03 04  05 06 00 00  18 00 00 00

    02 00 00 00  24 00 00 00  01 00 00 00                # obsolete PB 36 bytes, interface 1, drops 0
    3f 55 06 00  00 00 10 10  02 00 00 00  02 00 00 00
    60 00 00 00  24 00 00 00

    0a 0d 0d 0a  00 00 00 1c  1a 2b 3c 4d  00 01 00 00   # SHB 28 bytes, BE, v1.0
    00 00 00 00  00 00 00 40  00 00 00 1c                # section length 64

    00 00 00 01  00 00 00 20  00 00 00 00  00 00 00 04   # IDB 0: 32 bytes, NULL, snaplen 4
    00 0e 00 08  00 00 00 00  00 00 00 64                # if_tsoffset 100 s
    00 00 00 20

    00 00 00 06  00 00 00 24  00 00 00 00                # EPB 36 bytes, interface 0
    00 05 af 31  07 a4 00 01  00 00 00 04  00 00 00 04
    02 00 00 00  00 00 00 24

    00 00 00 03  00 00 00 14  00 00 00 0a                # SPB 20 bytes, orig 10, snapped to 4
    aa aa aa aa  00 00 00 14

    00 00 00 06  00 00 00 24  00 00 00 01                # EPB on interface 1: none in this section
    00 05 af 31  07 a4 00 01  00 00 00 04  00 00 00 04
    02 00 00 00  00 00 00 24
  `),
  frames: [
    { linktype: 1, tsUs: 1700000000123456, hex: "aabbccddee", origLen: 5, interfaceId: 0 },
    { linktype: 101, tsUs: 1700000000750002, hex: "45000014", origLen: 1500, interfaceId: 1 },
    { linktype: 1, tsUs: 1700000000750002, hex: "010203040506", origLen: 6, interfaceId: 0 },
    { linktype: 101, tsUs: 1700000001000000, hex: "6000", origLen: 2, interfaceId: 1 },
    { linktype: 0, tsUs: 1600000100000001, hex: "02000000", origLen: 4, interfaceId: 0 },
    { linktype: 0, tsUs: 1600000100000001, hex: "aaaaaaaa", origLen: 10, interfaceId: 0 },
  ],
  malformed: { "pcapng.unknown_interface": 1 },
};

// Damaged blocks inside intact framing are skipped and counted; the file goes on.
export const PCAPNG_DAMAGED_BLOCKS: Fixture = {
  name: "pcapng damaged blocks counted, truncated last block",
  format: "pcapng",
  bytes: hex(`
    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00   # SHB LE
    ff ff ff ff  ff ff ff ff  1c 00 00 00

    03 00 00 00  14 00 00 00  04 00 00 00                # SPB before any IDB
    01 02 03 04  14 00 00 00

    01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00   # IDB 0: Ethernet, µs (default)
    14 00 00 00

    06 00 00 00  20 00 00 00  00 00 00 00                # EPB 32 bytes whose caplen 8 overruns the block
    00 00 00 00  00 00 00 00  08 00 00 00  08 00 00 00
    20 00 00 00

    06 00 00 00  1c 00 00 00  00 00 00 00                # EPB 28 bytes: too short for its fixed fields
    00 00 00 00  00 00 00 00  00 00 00 00  1c 00 00 00

    01 00 00 00  1c 00 00 00  01 00 00 00  00 00 00 00   # IDB 1 whose option overruns the block
    09 00 10 00  06 00 00 00  1c 00 00 00                # if_tsresol with length 16

    06 00 00 00  24 00 00 00  01 00 00 00                # EPB on interface 1 (kept, default µs)
    00 00 00 00  2a 00 00 00  03 00 00 00  03 00 00 00   # ts 42 us
    0a 0b 0c 00  24 00 00 00

    06 00 00 00  24 00 00 00  00 00 00 00                # EPB cut short by the end of the file
    00 00 00 00
  `),
  frames: [{ linktype: 1, tsUs: 42, hex: "0a0b0c", origLen: 3, interfaceId: 1 }],
  malformed: {
    "pcapng.unknown_interface": 1,
    "pcapng.caplen_exceeds_block": 1,
    "pcapng.block_too_short": 1,
    "pcapng.bad_option": 1,
    "pcapng.truncated_block": 1,
  },
};

// Timestamp resolutions off the fast paths:
//   IDB 0: 10^0 s with if_tsoffset -100 s: 1700000000 ticks -> 1699999900000000 us
//   IDB 1: 10^-12 s: 1234567890123456789 = 0x112210f4_7de98115 -> 1234567890123 us
//   IDB 2: 2^-40 s: 1000·2^40 + 2^39 = 0x0003e880_00000000 -> 1000.5 s = 1000500000 us
//   IDB 3: 10^-15 s: 12345678901234567 = 0x002bdc54_5d6b4b87 -> 12345678 us
export const PCAPNG_RESOLUTIONS: Fixture = {
  name: "pcapng coarse, pico-, femto- and 2^-40 second resolutions, negative if_tsoffset",
  format: "pcapng",
  bytes: hex(`
    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00

    01 00 00 00  2c 00 00 00  01 00 00 00  00 00 00 00   # IDB 0, 44 bytes
    09 00 01 00  00 00 00 00                             # if_tsresol 0: seconds
    0e 00 08 00  9c ff ff ff  ff ff ff ff                # if_tsoffset -100
    00 00 00 00  2c 00 00 00
    01 00 00 00  1c 00 00 00  01 00 00 00  00 00 00 00  09 00 01 00  0c 00 00 00  1c 00 00 00
    01 00 00 00  1c 00 00 00  01 00 00 00  00 00 00 00  09 00 01 00  a8 00 00 00  1c 00 00 00
    01 00 00 00  1c 00 00 00  01 00 00 00  00 00 00 00  09 00 01 00  0f 00 00 00  1c 00 00 00

    06 00 00 00  24 00 00 00  00 00 00 00  00 00 00 00  00 f1 53 65  01 00 00 00  01 00 00 00
    a0 00 00 00  24 00 00 00
    06 00 00 00  24 00 00 00  01 00 00 00  f4 10 22 11  15 81 e9 7d  01 00 00 00  01 00 00 00
    a1 00 00 00  24 00 00 00
    06 00 00 00  24 00 00 00  02 00 00 00  80 e8 03 00  00 00 00 00  01 00 00 00  01 00 00 00
    a2 00 00 00  24 00 00 00
    06 00 00 00  24 00 00 00  03 00 00 00  54 dc 2b 00  87 4b 6b 5d  01 00 00 00  01 00 00 00
    a3 00 00 00  24 00 00 00
  `),
  frames: [
    { linktype: 1, tsUs: 1699999900000000, hex: "a0", origLen: 1, interfaceId: 0 },
    { linktype: 1, tsUs: 1234567890123, hex: "a1", origLen: 1, interfaceId: 1 },
    { linktype: 1, tsUs: 1000500000, hex: "a2", origLen: 1, interfaceId: 2 },
    { linktype: 1, tsUs: 12345678, hex: "a3", origLen: 1, interfaceId: 3 },
  ],
  malformed: {},
};

// An IDB too short to read (16 bytes; at least 20 are needed up to SnapLen) still takes
// interface id 0 (spec §4.2: IDs follow IDB order), so the next IDB is interface 1. The
// packets naming interface 0 (EPB, SPB, which always does, and PB) are unusable: counted.
//   IDB 1 at 10^-9 s: 1700000000123456789 ns = 0x17979cfe_3d85cd15 -> 1700000000123456 us
export const PCAPNG_SHORT_IDB: Fixture = {
  name: "pcapng IDB too short still numbered; its packets counted, others keep their interface",
  format: "pcapng",
  bytes: hex(`
    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00

    01 00 00 00  10 00 00 00  01 00 00 00  10 00 00 00   # IDB 0: 16 bytes, no room for SnapLen

    01 00 00 00  1c 00 00 00  65 00 00 00  00 00 00 00   # IDB 1: 28 bytes, raw IP, snaplen 0
    09 00 01 00  09 00 00 00  1c 00 00 00                # if_tsresol 9 (ns)

    06 00 00 00  24 00 00 00  01 00 00 00                # EPB on interface 1
    fe 9c 97 17  15 cd 85 3d  04 00 00 00  04 00 00 00   # caplen 4, orig 4
    45 00 00 14  24 00 00 00

    06 00 00 00  24 00 00 00  00 00 00 00                # EPB on interface 0
    00 00 00 00  01 00 00 00  04 00 00 00  04 00 00 00
    de ad be ef  24 00 00 00

    03 00 00 00  14 00 00 00  04 00 00 00                # SPB (interface 0), orig 4
    aa bb cc dd  14 00 00 00

    02 00 00 00  24 00 00 00  00 00 00 00                # obsolete PB on interface 0, drops 0
    00 00 00 00  01 00 00 00  02 00 00 00  02 00 00 00
    60 00 00 00  24 00 00 00

    01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00   # IDB 2: Ethernet, µs (default)
    14 00 00 00

    06 00 00 00  24 00 00 00  02 00 00 00                # EPB on interface 2, ts 7 us
    00 00 00 00  07 00 00 00  01 00 00 00  01 00 00 00
    99 00 00 00  24 00 00 00

    06 00 00 00  24 00 00 00  03 00 00 00                # EPB on interface 3: none in this section
    00 00 00 00  07 00 00 00  01 00 00 00  01 00 00 00
    98 00 00 00  24 00 00 00
  `),
  frames: [
    { linktype: 101, tsUs: 1700000000123456, hex: "45000014", origLen: 4, interfaceId: 1 },
    { linktype: 1, tsUs: 7, hex: "99", origLen: 1, interfaceId: 2 },
  ],
  malformed: {
    "pcapng.block_too_short": 1,
    "pcapng.bad_interface": 3,
    "pcapng.unknown_interface": 1,
  },
};

// Spec §4.4: an SPB's captured length is min(Original Packet Length, SnapLen of interface
// 0), SnapLen 0 meaning no limit; the bytes after it are padding. A block too small for
// that length is damaged. SPBs carry no timestamp: these come before any EPB, so 0.
export const PCAPNG_SPB_LENGTHS: Fixture = {
  name: "pcapng SPB captured length from original length and snaplen, never from padding",
  format: "pcapng",
  bytes: hex(`
    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
    01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00   # IDB 0: Ethernet, snaplen 0
    14 00 00 00

    03 00 00 00  18 00 00 00  06 00 00 00                # SPB 24 bytes, orig 6: 6 bytes + 2 padding
    01 02 03 04  05 06 00 00  18 00 00 00

    03 00 00 00  18 00 00 00  0a 00 00 00                # SPB 24 bytes, orig 10: needs 10, holds 8
    11 12 13 14  15 16 17 18  18 00 00 00

    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
    01 00 00 00  14 00 00 00  01 00 00 00  0c 00 00 00   # IDB 0: Ethernet, snaplen 12
    14 00 00 00

    03 00 00 00  18 00 00 00  64 00 00 00                # SPB 24 bytes, orig 100 -> 12: holds 8
    21 22 23 24  25 26 27 28  18 00 00 00

    03 00 00 00  1c 00 00 00  64 00 00 00                # SPB 28 bytes, orig 100 -> 12 bytes
    31 32 33 34  35 36 37 38  39 3a 3b 3c  1c 00 00 00

    03 00 00 00  14 00 00 00  03 00 00 00                # SPB 20 bytes, orig 3: 3 bytes + 1 padding
    a1 a2 a3 00  14 00 00 00
  `),
  frames: [
    { linktype: 1, tsUs: 0, hex: "010203040506", origLen: 6, interfaceId: 0 },
    { linktype: 1, tsUs: 0, hex: "3132333435363738393a3b3c", origLen: 100, interfaceId: 0 },
    { linktype: 1, tsUs: 0, hex: "a1a2a3", origLen: 3, interfaceId: 0 },
  ],
  malformed: { "pcapng.caplen_exceeds_block": 2 },
};

// A section whose SHB has a major version other than 1 is skipped up to the next SHB
// (spec "Physical File Layout"); its blocks are walked in its own byte order, their
// contents ignored (the 12-byte IDB below would be damaged in a version 1 section).
export const PCAPNG_UNSUPPORTED_SECTIONS: Fixture = {
  name: "pcapng sections of unsupported versions skipped, in their own byte order",
  format: "pcapng",
  bytes: hex(`
    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  02 00 00 00   # SHB LE v2.0 at offset 0: skipped
    ff ff ff ff  ff ff ff ff  1c 00 00 00
    01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00  14 00 00 00
    06 00 00 00  24 00 00 00  00 00 00 00  00 00 00 00  09 00 00 00  01 00 00 00  01 00 00 00
    e0 00 00 00  24 00 00 00

    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00   # SHB LE v1.0
    ff ff ff ff  ff ff ff ff  1c 00 00 00
    01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00  14 00 00 00   # IDB 0: Ethernet, µs
    06 00 00 00  24 00 00 00  00 00 00 00  00 00 00 00  01 00 00 00  01 00 00 00  01 00 00 00
    a1 00 00 00  24 00 00 00                                          # EPB ts 1 us

    0a 0d 0d 0a  00 00 00 1c  1a 2b 3c 4d  00 03 00 01   # SHB BE v3.1: skipped
    ff ff ff ff  ff ff ff ff  00 00 00 1c
    00 00 00 01  00 00 00 0c  00 00 00 0c                # 12-byte IDB
    00 00 00 01  00 00 00 14  00 65 00 00  00 00 00 00  00 00 00 14
    00 00 00 06  00 00 00 24  00 00 00 01  00 00 00 00  00 00 00 02  00 00 00 01  00 00 00 01
    e1 00 00 00  00 00 00 24
    00 00 00 03  00 00 00 14  00 00 00 01  e2 00 00 00  00 00 00 14

    0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00   # SHB LE v1.0
    ff ff ff ff  ff ff ff ff  1c 00 00 00
    01 00 00 00  14 00 00 00  65 00 00 00  00 00 00 00  14 00 00 00   # IDB 0: raw IP, µs
    06 00 00 00  24 00 00 00  00 00 00 00  00 00 00 00  03 00 00 00  01 00 00 00  01 00 00 00
    a3 00 00 00  24 00 00 00                                          # EPB ts 3 us
  `),
  frames: [
    { linktype: 1, tsUs: 1, hex: "a1", origLen: 1, interfaceId: 0 },
    { linktype: 101, tsUs: 3, hex: "a3", origLen: 1, interfaceId: 0 },
  ],
  malformed: { "pcapng.unsupported_section_version": 2 },
};

export const ALL_FIXTURES: Fixture[] = [
  PCAP_LE_US,
  PCAP_BE_NS,
  PCAP_BE_US,
  PCAP_LE_NS,
  PCAPNG_TWO_SECTIONS,
  PCAPNG_DAMAGED_BLOCKS,
  PCAPNG_RESOLUTIONS,
  PCAPNG_SHORT_IDB,
  PCAPNG_SPB_LENGTHS,
  PCAPNG_UNSUPPORTED_SECTIONS,
];

/** Inputs that must stop with a fatal error; `offset` is the byte offset the message must name. */
export interface BadInput {
  name: string;
  bytes: Buffer;
  /** Substrings the error must contain. */
  error: string[];
  /** Frames delivered before the error. */
  frames: number;
}

export const BAD_INPUTS: BadInput[] = [
  {
    name: "bad magic",
    bytes: hex("7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00 03 00 3e 00 01 00 00 00 00 00 00 00"),
    error: ["magic", "0x7f454c46", "offset 0"],
    frames: 0,
  },
  { name: "empty input", bytes: hex(""), error: ["empty"], frames: 0 },
  { name: "three bytes", bytes: hex("d4 c3 b2"), error: ["too short"], frames: 0 },
  {
    name: "truncated pcap file header",
    bytes: hex("d4 c3 b2 a1 02 00 04 00 00 00 00 00"),
    error: ["truncated file header", "offset 0"],
    frames: 0,
  },
  {
    name: "pcap caplen over 256 KiB",
    bytes: hex(`
      d4 c3 b2 a1  02 00 04 00  00 00 00 00  00 00 00 00  ff ff 00 00  01 00 00 00
      00 00 00 00  00 00 00 00  01 00 00 00  01 00 00 00  99              # a good 1-byte record at 24
      00 00 00 00  00 00 00 00  01 00 04 00  01 00 04 00                  # incl 262145 at offset 41
    `),
    error: ["offset 41", "262145"],
    frames: 1,
  },
  {
    name: "pcapng block length not a multiple of 4",
    bytes: hex(`
      0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
      01 00 00 00  15 00 00 00  01 00 00 00  00 00 00 00  00 00 00 00  00 15 00 00 00   # at 28
    `),
    error: ["offset 28", "21"],
    frames: 0,
  },
  {
    name: "pcapng block length below 12",
    bytes: hex(`
      0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
      01 00 00 00  08 00 00 00  08 00 00 00
    `),
    error: ["offset 28", "length 8"],
    frames: 0,
  },
  {
    name: "pcapng block over 16 MiB",
    bytes: hex(`
      0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
      06 00 00 00  04 00 00 01  00 00 00 00                  # 0x01000004 = 16 MiB + 4
    `),
    error: ["offset 28", "16777220"],
    frames: 0,
  },
  {
    name: "pcapng trailing length differs",
    bytes: hex(`
      0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
      01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00  18 00 00 00
    `),
    error: ["offset 28", "trailing", "24"],
    frames: 0,
  },
  {
    name: "pcapng bad byte-order magic",
    bytes: hex("0a 0d 0d 0a 1c 00 00 00 11 22 33 44 01 00 00 00 ff ff ff ff ff ff ff ff 1c 00 00 00"),
    error: ["byte-order", "offset 0"],
    frames: 0,
  },
  {
    name: "pcapng second section with bad byte-order magic",
    bytes: hex(`
      0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 1a  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00
      01 00 00 00  14 00 00 00  01 00 00 00  00 00 00 00  14 00 00 00
      06 00 00 00  24 00 00 00  00 00 00 00  00 00 00 00  01 00 00 00  03 00 00 00  03 00 00 00
      01 02 03 00  24 00 00 00
      0a 0d 0d 0a  1c 00 00 00  4d 3c 2b 00  01 00 00 00  ff ff ff ff  ff ff ff ff  1c 00 00 00   # at 84
    `),
    error: ["byte-order", "offset 84"],
    frames: 1,
  },
  {
    name: "pcapng truncated section header",
    bytes: hex("0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00"),
    error: ["truncated section header", "offset 0"],
    frames: 0,
  },
];
