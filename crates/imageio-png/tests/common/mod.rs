//! Shared helpers for the PNG tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use imageio_core::{Index, Limits, Mode, NdArray, OpenArgs, Options, Resource, open};
// Link the plugin so that its registration is kept.
use imageio_png as _;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn fixtures() -> PathBuf {
    workspace().join("fixtures/png")
}

pub fn manifest() -> serde_json::Value {
    let path = fixtures().join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run xtask/python/gen_png.py)", path.display()));
    serde_json::from_str(&text).unwrap()
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

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("IMAGEIO_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace().join("target/pyenv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run `cargo xtask pyenv` to create the reference Python venv",
        p.display()
    );
    p
}

/// Runs `xtask/python/check_readback.py` on `files`; one JSON record per file.
pub fn readback(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let script = workspace().join("xtask/python/check_readback.py");
    let out = Command::new(python())
        .arg(&script)
        .args(files)
        .output()
        .expect("run check_readback.py");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "check_readback.py failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
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

pub fn sha256_hex(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

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
