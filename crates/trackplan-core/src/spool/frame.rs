//! Record framing: the pure encode and decode functions behind the segment file format.
//!
//! A segment file is a plain concatenation of frames (see the [module docs](super) for the
//! layout). Decoding never trusts a length or a kind before the checksum has vouched for it, and
//! [`scan`] resynchronises after damage by looking for the next intact frame, so a torn tail or a
//! corrupted record in the middle costs exactly the damaged bytes.

use std::ops::Range;

/// Marks the start of every frame. `0xF5` never occurs in UTF-8 (so never in a JSON message),
/// which keeps false resynchronisation points rare; the last byte is the format version.
pub const MAGIC: [u8; 4] = [0xF5, b'T', b'P', 0x01];

/// Bytes before the body: magic, body length (u32 LE), CRC-32 (u32 LE).
pub const HEADER_LEN: usize = 12;

const KIND_MESSAGE: u8 = 1;
const KIND_ACK: u8 = 2;
/// Kind byte plus the record's sequence number.
const MESSAGE_PREFIX_LEN: usize = 1 + 8;
/// One acknowledged range: first sequence number (u64 LE) and count (u32 LE).
const ACK_RANGE_LEN: usize = 8 + 4;

/// The largest message payload a frame can carry (the body length is a `u32`).
pub const MAX_PAYLOAD_LEN: usize = u32::MAX as usize - MESSAGE_PREFIX_LEN;

/// A run of consecutive sequence numbers, `start..start + len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    /// The first sequence number of the run.
    pub start: u64,
    /// How many consecutive numbers the run holds (at least one).
    pub len: u32,
}

impl SeqRange {
    /// Every sequence number in the run.
    pub fn seqs(self) -> Range<u64> {
        self.start..self.start.saturating_add(u64::from(self.len))
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame<'a> {
    /// An appended message.
    Message {
        /// The record's sequence number, its `RecordId`.
        seq: u64,
        /// The bytes given to `Spool::append`.
        payload: &'a [u8],
    },
    /// Records acknowledged after delivery; they are never replayed.
    Ack {
        /// The acknowledged sequence numbers, as runs.
        ranges: Vec<SeqRange>,
    },
}

/// What [`decode`] found at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// An intact frame that occupies the first `len` bytes.
    Frame { frame: Frame<'a>, len: usize },
    /// The buffer ends before the frame it starts does: at the end of a file, a torn write.
    Incomplete,
    /// Not a frame: wrong magic, checksum mismatch or a malformed body.
    Invalid,
}

/// The encoded size of a message frame carrying `payload_len` bytes.
pub fn message_frame_len(payload_len: usize) -> usize {
    HEADER_LEN + MESSAGE_PREFIX_LEN + payload_len
}

/// Appends the frame of message `seq` to `out`.
///
/// The caller keeps `payload.len()` within [`MAX_PAYLOAD_LEN`].
pub fn encode_message(seq: u64, payload: &[u8], out: &mut Vec<u8>) {
    debug_assert!(payload.len() <= MAX_PAYLOAD_LEN);
    let body_start = begin_frame(out);
    out.push(KIND_MESSAGE);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
    finish_frame(out, body_start);
}

/// Appends an acknowledgement frame for `ranges` to `out`.
pub fn encode_ack(ranges: &[SeqRange], out: &mut Vec<u8>) {
    let body_start = begin_frame(out);
    out.push(KIND_ACK);
    for range in ranges {
        out.extend_from_slice(&range.start.to_le_bytes());
        out.extend_from_slice(&range.len.to_le_bytes());
    }
    finish_frame(out, body_start);
}

fn begin_frame(out: &mut Vec<u8>) -> usize {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[0; 8]); // length and checksum, filled in by `finish_frame`
    out.len()
}

fn finish_frame(out: &mut [u8], body_start: usize) {
    let header_start = body_start - HEADER_LEN;
    // Ack frames are bounded by the number of live records, far below 4 GiB.
    let body_len = u32::try_from(out.len() - body_start).unwrap_or(u32::MAX);
    out[header_start + 4..header_start + 8].copy_from_slice(&body_len.to_le_bytes());
    let crc = checksum(&out[header_start + 4..header_start + 8], &out[body_start..]);
    out[header_start + 8..body_start].copy_from_slice(&crc.to_le_bytes());
}

/// CRC-32 over the length field and the body, so a corrupted length is caught too.
fn checksum(len_field: &[u8], body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(len_field);
    hasher.update(body);
    hasher.finalize()
}

/// Decodes the frame at the start of `buf`.
pub fn decode(buf: &[u8]) -> Decoded<'_> {
    if buf.len() < HEADER_LEN {
        return if MAGIC.starts_with(&buf[..buf.len().min(MAGIC.len())]) {
            Decoded::Incomplete
        } else {
            Decoded::Invalid
        };
    }
    if buf[..4] != MAGIC {
        return Decoded::Invalid;
    }
    let body_len = u32_at(buf, 4) as usize;
    let Some(body) = buf.get(HEADER_LEN..HEADER_LEN + body_len) else {
        return Decoded::Incomplete;
    };
    if checksum(&buf[4..8], body) != u32_at(buf, 8) {
        return Decoded::Invalid;
    }
    match decode_body(body) {
        Some(frame) => Decoded::Frame {
            frame,
            len: HEADER_LEN + body_len,
        },
        None => Decoded::Invalid,
    }
}

fn decode_body(body: &[u8]) -> Option<Frame<'_>> {
    let (&kind, rest) = body.split_first()?;
    match kind {
        KIND_MESSAGE if rest.len() >= 8 => {
            let (seq, payload) = rest.split_at(8);
            Some(Frame::Message {
                seq: u64_at(seq, 0),
                payload,
            })
        }
        KIND_ACK if rest.len().is_multiple_of(ACK_RANGE_LEN) => {
            let ranges = rest
                .chunks_exact(ACK_RANGE_LEN)
                .map(|chunk| SeqRange {
                    start: u64_at(chunk, 0),
                    len: u32_at(chunk, 8),
                })
                .collect();
            Some(Frame::Ack { ranges })
        }
        _ => None,
    }
}

fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut bytes = [0; 4];
    bytes.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(bytes)
}

fn u64_at(buf: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&buf[at..at + 8]);
    u64::from_le_bytes(bytes)
}

/// Everything [`scan`] found in one segment file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan<'a> {
    /// The intact frames, in file order, with their byte offsets.
    pub frames: Vec<(usize, Frame<'a>)>,
    /// Damaged byte ranges that were skipped; each counts as one corrupt record.
    pub corrupt: Vec<Range<usize>>,
    /// Where the last intact frame ends: bytes past it are a damaged tail.
    pub valid_end: usize,
}

/// Decodes every frame of a segment file, skipping damaged regions.
///
/// After a damaged frame the scan resumes at the next offset where an intact frame starts, so a
/// bad record in the middle costs only itself. Every step advances, so this always terminates.
pub fn scan(buf: &[u8]) -> Scan<'_> {
    let mut scan = Scan::default();
    let mut pos = 0;
    while pos < buf.len() {
        match decode(&buf[pos..]) {
            Decoded::Frame { frame, len } => {
                scan.frames.push((pos, frame));
                pos += len;
                scan.valid_end = pos;
            }
            Decoded::Incomplete | Decoded::Invalid => {
                let resume = next_frame_start(buf, pos + 1).unwrap_or(buf.len());
                scan.corrupt.push(pos..resume);
                pos = resume;
            }
        }
    }
    scan
}

/// The first offset at or after `from` where an intact frame starts, or a torn one (its magic,
/// then the end of the buffer), so that a torn tail after damage is counted on its own.
fn next_frame_start(buf: &[u8], from: usize) -> Option<usize> {
    (from..buf.len())
        .filter(|&at| buf[at] == MAGIC[0])
        .find(|&at| match decode(&buf[at..]) {
            Decoded::Frame { .. } => true,
            Decoded::Incomplete => buf[at..].starts_with(&MAGIC),
            Decoded::Invalid => false,
        })
}

/// Coalesces sorted, distinct sequence numbers into runs: `[3, 4, 5, 9]` becomes
/// `3` (3 long) and `9` (1 long).
pub fn ranges_of_sorted(seqs: &[u64]) -> Vec<SeqRange> {
    let mut ranges: Vec<SeqRange> = Vec::new();
    for &seq in seqs {
        match ranges.last_mut() {
            Some(last) if last.len < u32::MAX && last.start + u64::from(last.len) == seq => {
                last.len += 1
            }
            _ => ranges.push(SeqRange { start: seq, len: 1 }),
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_message(seq, payload, &mut out);
        out
    }

    #[test]
    fn message_round_trips() {
        let bytes = message(42, br#"{"messageId":"m1"}"#);
        assert_eq!(bytes.len(), message_frame_len(18));
        assert_eq!(
            decode(&bytes),
            Decoded::Frame {
                frame: Frame::Message {
                    seq: 42,
                    payload: br#"{"messageId":"m1"}"#
                },
                len: bytes.len()
            }
        );
    }

    #[test]
    fn empty_message_round_trips() {
        let bytes = message(0, b"");
        assert!(matches!(
            decode(&bytes),
            Decoded::Frame {
                frame: Frame::Message {
                    seq: 0,
                    payload: b""
                },
                ..
            }
        ));
    }

    #[test]
    fn ack_round_trips() {
        let ranges = [
            SeqRange { start: 7, len: 3 },
            SeqRange {
                start: u64::MAX,
                len: 1,
            },
        ];
        let mut bytes = Vec::new();
        encode_ack(&ranges, &mut bytes);
        assert_eq!(
            decode(&bytes),
            Decoded::Frame {
                frame: Frame::Ack {
                    ranges: ranges.to_vec()
                },
                len: bytes.len()
            }
        );
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let bytes = message(1, b"hello");
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), Decoded::Incomplete, "cut at {cut}");
        }
    }

    #[test]
    fn every_flipped_bit_is_invalid_or_incomplete() {
        let bytes = message(1, b"hello");
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !matches!(decode(&damaged), Decoded::Frame { .. }),
                "bit {bit} went unnoticed"
            );
        }
    }

    #[test]
    fn malformed_bodies_with_valid_checksums_are_invalid() {
        for body in [
            &[9u8, 0, 0][..],
            &[KIND_MESSAGE, 1, 2],
            &[KIND_ACK, 1, 2, 3],
            &[],
        ] {
            let mut bytes = MAGIC.to_vec();
            let len = (body.len() as u32).to_le_bytes();
            bytes.extend_from_slice(&len);
            bytes.extend_from_slice(&checksum(&len, body).to_le_bytes());
            bytes.extend_from_slice(body);
            assert_eq!(decode(&bytes), Decoded::Invalid, "body {body:?}");
        }
    }

    #[test]
    fn scan_skips_a_damaged_middle_frame_and_a_torn_tail() {
        let first = message(1, b"first");
        let second = message(2, b"second");
        let third = message(3, b"third");
        let mut file = [first.clone(), second.clone(), third.clone()].concat();
        file[first.len() + HEADER_LEN + 3] ^= 0x10;
        file.truncate(file.len() - 2);

        let scan = scan(&file);
        assert_eq!(
            scan.frames,
            [(
                0,
                Frame::Message {
                    seq: 1,
                    payload: b"first"
                }
            )]
        );
        let second_at = first.len();
        let third_at = second_at + second.len();
        assert_eq!(scan.corrupt, [second_at..third_at, third_at..file.len()]);
        assert_eq!(scan.valid_end, first.len());
    }

    #[test]
    fn scan_of_garbage_terminates_with_one_region() {
        let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 31 % 251) as u8).collect();
        let scan = scan(&garbage);
        assert!(scan.frames.is_empty());
        let regions: Vec<(usize, usize)> = scan.corrupt.iter().map(|r| (r.start, r.end)).collect();
        assert_eq!(regions, [(0, garbage.len())]);
        // Every magic looks like the start of a torn frame: one region each, covering all bytes.
        let magics = MAGIC.repeat(100);
        let expected: Vec<_> = (0..100).map(|i| i * 4..i * 4 + 4).collect();
        assert_eq!(super::scan(&magics).corrupt, expected);
    }

    #[test]
    fn ranges_coalesce_runs() {
        assert_eq!(ranges_of_sorted(&[]), []);
        assert_eq!(
            ranges_of_sorted(&[1, 2, 4, 5, 6, 10]),
            [
                SeqRange { start: 1, len: 2 },
                SeqRange { start: 4, len: 3 },
                SeqRange { start: 10, len: 1 }
            ]
        );
        assert_eq!(
            SeqRange { start: 4, len: 3 }.seqs().collect::<Vec<_>>(),
            [4, 5, 6]
        );
    }
}
