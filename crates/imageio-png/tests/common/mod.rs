//! Shared helpers for the PNG tests.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use imageio_core::{Index, Limits, Mode, NdArray, OpenArgs, Options, Resource, open};
// Link the plugin so that its registration is kept.
use imageio_png as _;

pub use imageio_testutil::{python, workspace};

pub fn fixtures() -> PathBuf {
    imageio_testutil::fixtures("png")
}

pub fn manifest() -> serde_json::Value {
    imageio_testutil::manifest("png")
}

/// Every PNG fixture file (sorted).
pub fn fixture_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 40,
        "expected the generated PNG fixtures in fixtures/png, found {}",
        v.len()
    );
    v
}

/// Runs `xtask/python/check_readback.py` on `files`; one JSON record per file.
pub fn readback(files: &[PathBuf]) -> Vec<serde_json::Value> {
    imageio_testutil::run_python_json("check_readback.py", files)
}

pub fn args(options: Options) -> OpenArgs {
    OpenArgs {
        options,
        ..Default::default()
    }
}

pub fn read_with<'a>(
    r: impl Into<Resource<'a>>,
    index: Index,
    options: Options,
) -> imageio_core::Result<NdArray> {
    open(r.into(), Mode::Read, &args(options))?.read(index)
}

pub fn read(r: &str, index: Index) -> NdArray {
    read_with(r, index, Options::new()).unwrap_or_else(|e| panic!("{r}: {e}"))
}

/// Writes `images` (one write call each) to `<bytes>` as `.png` with `options`.
pub fn write_bytes(
    images: &[(NdArray, Option<bool>)],
    options: Options,
) -> imageio_core::Result<Vec<u8>> {
    let args = OpenArgs {
        extension: Some(".png".into()),
        options,
        ..Default::default()
    };
    let mut w = open(Resource::ReturnBytes, Mode::Write, &args)?;
    for (img, batch) in images {
        w.write_with(img, *batch)?;
    }
    Ok(w.close()?.expect("bytes"))
}

pub fn small_limits() -> Limits {
    Limits::default()
        .with_max_pixels(Some(1 << 20))
        .with_max_bytes(Some(64 << 20))
}

pub use imageio_testutil::sha256_hex;

/// CRC-32 (PNG chunk checksum).
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// One PNG chunk with length and CRC.
pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut v = (data.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(kind);
    v.extend_from_slice(data);
    let mut crc_in = kind.to_vec();
    crc_in.extend_from_slice(data);
    v.extend_from_slice(&crc32(&crc_in).to_be_bytes());
    v
}
