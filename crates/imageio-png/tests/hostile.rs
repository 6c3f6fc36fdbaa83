//! Truncated and bit-flipped copies of every PNG fixture return errors (or images), never panic,
//! never hang and never over-allocate.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use common::*;
use imageio_core::{Index, Mode, OpenArgs, Resource, open};

/// Everything a user can do with a file; returns how many calls succeeded.
fn exercise(data: &[u8]) -> usize {
    let args = OpenArgs {
        limits: small_limits(),
        ..Default::default()
    };
    let Ok(mut f) = open(Resource::from(data), Mode::Read, &args) else {
        return 0;
    };
    let mut ok = 1;
    ok += f.properties(Index::Default).is_ok() as usize;
    ok += f.properties(Index::All).is_ok() as usize;
    ok += f.metadata(Index::Default, true).is_ok() as usize;
    ok += f.metadata(Index::At(1), false).is_ok() as usize;
    ok += f.read(Index::Default).is_ok() as usize;
    ok += f.read(Index::At(1)).is_ok() as usize;
    ok += f.read(Index::All).is_ok() as usize;
    ok += f.iter().take(8).filter(Result::is_ok).count();
    ok
}

fn check(name: &str, what: &str, data: &[u8], slow: &mut Vec<String>) {
    let t = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| exercise(data)));
    assert!(r.is_ok(), "{name}: {what} panicked");
    if t.elapsed() > Duration::from_secs(2) {
        slow.push(format!("{name}: {what} took {:?}", t.elapsed()));
    }
}

#[test]
fn truncated_copies_never_panic() {
    let mut slow = Vec::new();
    let mut variants = 0;
    for path in fixture_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        let full = exercise(&data);
        assert!(
            full >= 7,
            "{name}: the intact file must read ({full} calls succeeded)"
        );
        let lengths = (0..64.min(data.len())).chain((64..data.len()).step_by(37));
        for len in lengths {
            check(
                &name,
                &format!("truncated to {len} bytes"),
                &data[..len],
                &mut slow,
            );
            variants += 1;
        }
    }
    assert!(variants > 3000, "{variants}");
    assert!(slow.is_empty(), "{slow:#?}");
}

#[test]
fn bit_flipped_copies_never_panic() {
    let mut slow = Vec::new();
    let mut variants = 0;
    for path in fixture_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let data = std::fs::read(&path).unwrap();
        // every byte of the header region, then every 13th byte
        let positions = (8..64.min(data.len())).chain((64..data.len()).step_by(13));
        for (n, pos) in positions.enumerate() {
            let mut bad = data.clone();
            bad[pos] ^= 1 << (n % 8);
            check(
                &name,
                &format!("bit {} of byte {pos} flipped", n % 8),
                &bad,
                &mut slow,
            );
            variants += 1;
        }
        // with CRCs that stay valid, the flip reaches the decoders behind the chunk layer
        let mut fixed = data.clone();
        let mut pos = 8;
        while pos + 12 <= fixed.len() {
            let len = u32::from_be_bytes(fixed[pos..pos + 4].try_into().unwrap()) as usize;
            if pos + 12 + len > fixed.len() {
                break;
            }
            let kind: [u8; 4] = fixed[pos + 4..pos + 8].try_into().unwrap();
            if len > 0 && &kind != b"IEND" {
                for k in [0, len / 2, len - 1] {
                    let mut bad = fixed.clone();
                    bad[pos + 8 + k] ^= 0x10 << (k % 4);
                    let c = crc32(&bad[pos + 4..pos + 8 + len]);
                    bad[pos + 8 + len..pos + 12 + len].copy_from_slice(&c.to_be_bytes());
                    check(
                        &name,
                        &format!(
                            "{} byte {k} flipped, CRC fixed",
                            String::from_utf8_lossy(&kind)
                        ),
                        &bad,
                        &mut slow,
                    );
                    variants += 1;
                }
            }
            pos += 12 + len;
        }
        fixed.truncate(0);
    }
    assert!(variants > 3000, "{variants}");
    assert!(slow.is_empty(), "{slow:#?}");
}
