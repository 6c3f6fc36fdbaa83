//! Files whose image data is complete but whose tail is missing or damaged read like Pillow
//! reads them (Pillow and libpng stop after the image data; so must we).

mod common;

use common::*;
use imageio_core::{Index, Mode, OpenArgs, Resource, open};

fn frames(data: &[u8]) -> imageio_core::Result<Vec<String>> {
    let mut f = open(Resource::from(data), Mode::Read, &OpenArgs::default())?;
    let all = f.read(Index::All)?;
    Ok(all.unstack().iter().map(|a| a.sha256_hex()).collect())
}

/// Every fixture with its 12-byte IEND chunk cut off: we read every frame as from the intact
/// file (which manifest.rs checks against Pillow/pypng), and where Pillow reads the cut file
/// (check_readback.py; pypng refuses a missing IEND) we equal Pillow.
#[test]
fn missing_iend_reads_like_pillow() {
    let dir = tempfile::tempdir().unwrap();
    let mut cut_files = Vec::new();
    let mut intact = Vec::new();
    for path in fixture_files() {
        let data = std::fs::read(&path).unwrap();
        let (head, tail) = data.split_at(data.len() - 12);
        assert_eq!(&tail[..8], b"\0\0\0\0IEND", "{path:?} ends with IEND");
        let name = path.file_name().unwrap().to_owned();
        let want = frames(&data).unwrap_or_else(|e| panic!("{name:?} intact: {e}"));
        let got = frames(head).unwrap_or_else(|e| panic!("{name:?} without IEND: {e}"));
        assert_eq!(got, want, "{name:?} without IEND");
        let cut = dir.path().join(&name);
        std::fs::write(&cut, head).unwrap();
        cut_files.push(cut);
        intact.push(want);
    }
    // check_readback.py exits non-zero when a file fails; its JSON lines still say which.
    let out = imageio_testutil::python_command("check_readback.py")
        .args(&cut_files)
        .output()
        .unwrap();
    let records: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), cut_files.len());
    let mut by_pillow = 0;
    for ((path, rec), want) in cut_files.iter().zip(&records).zip(&intact) {
        if rec.get("error").is_some() {
            // pypng (used for 16-bit and tRNS files) needs IEND, and Pillow cannot decode
            // interlaced APNG frames; the comparison with the intact file above holds for these.
            continue;
        }
        assert_eq!(rec["reader"], "pillow", "{path:?}: {rec}");
        let pillow: Vec<&str> = rec["frames"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["sha256"].as_str().unwrap())
            .collect();
        assert_eq!(pillow, *want, "{path:?}: Pillow vs us");
        by_pillow += 1;
    }
    assert!(
        by_pillow >= 30,
        "only {by_pillow} files compared with Pillow"
    );
}
