//! Shared helpers for the GIF tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use imageio_core::{ImageFile, Mode, OpenArgs, Options, Resource};
use imageio_gif as _;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/gif").join(name)
}

pub fn manifest() -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixture("manifest.json")).expect("fixtures/gif/manifest.json");
    serde_json::from_str(&text).unwrap()
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("IMAGEIO_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = root().join("target/pyenv/bin/python");
    assert!(
        p.exists(),
        "no Python venv at {}: run `cargo xtask pyenv`",
        p.display()
    );
    p
}

/// Runs xtask/python/check_gif.py on (file, mode) pairs; one JSON object per file.
pub fn pillow_check(files: &[(PathBuf, &str)]) -> Vec<serde_json::Value> {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("xtask/python/check_gif.py"));
    for (f, m) in files {
        cmd.arg(f).arg(m);
    }
    let out = cmd.output().expect("running check_gif.py");
    assert!(
        out.status.success(),
        "check_gif.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn open_read<'a>(
    r: impl Into<Resource<'a>>,
    options: Options,
) -> imageio_core::Result<ImageFile<'a>> {
    imageio_core::open(
        r.into(),
        Mode::Read,
        &OpenArgs {
            options,
            ..Default::default()
        },
    )
}

pub fn open_write<'a>(
    r: impl Into<Resource<'a>>,
    options: Options,
) -> imageio_core::Result<ImageFile<'a>> {
    imageio_core::open(
        r.into(),
        Mode::Write,
        &OpenArgs {
            options,
            extension: Some(".gif".into()),
            ..Default::default()
        },
    )
}
