#![allow(dead_code)]
use std::path::PathBuf;

use imageio_core::{ImageFile, Index, Mode, OpenArgs, Options, Resource, Value};

// link the plugin
use imageio_tiff as _;

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn fixture(name: &str) -> PathBuf {
    workspace().join("fixtures/tiff").join(name)
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("IMAGEIO_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let p = workspace().join("target/pyenv/bin/python");
    assert!(
        p.exists(),
        "no Python venv at {}: run `cargo xtask pyenv`",
        p.display()
    );
    p
}

pub fn args(options: Options) -> OpenArgs {
    OpenArgs {
        plugin: Some("tiff".into()),
        options,
        ..Default::default()
    }
}

pub fn open_read<'a>(
    res: impl Into<Resource<'a>>,
    options: Options,
) -> imageio_core::Result<ImageFile<'a>> {
    imageio_core::open(res.into(), Mode::Read, &args(options))
}

pub fn index_of(v: &serde_json::Value) -> Index {
    match v {
        serde_json::Value::Null => Index::Default,
        serde_json::Value::String(s) if s == "all" => Index::All,
        serde_json::Value::Number(n) => Index::At(n.as_u64().unwrap() as usize),
        other => panic!("bad index {other}"),
    }
}

pub fn json_options(v: Option<&serde_json::Value>) -> Options {
    let mut o = Options::new();
    if let Some(serde_json::Value::Object(m)) = v {
        for (k, v) in m {
            let val = match v {
                serde_json::Value::Bool(b) => Value::Bool(*b),
                serde_json::Value::Number(n) => Value::Int(n.as_i64().unwrap()),
                serde_json::Value::String(s) => Value::Str(s.clone()),
                other => panic!("option {other}"),
            };
            o.set(k.clone(), val);
        }
    }
    o
}

/// Runs xtask/python/check_tiff.py on `files` and returns its per-file reports.
pub fn run_checker(files: &[PathBuf]) -> serde_json::Map<String, serde_json::Value> {
    run_checker_dump(files, false)
}

/// Like [`run_checker`]; with `dump`, tifffile's pixels of series k are in `FILE.s{k}.raw`.
pub fn run_checker_dump(
    files: &[PathBuf],
    dump: bool,
) -> serde_json::Map<String, serde_json::Value> {
    let mut cmd = std::process::Command::new(python());
    if dump {
        cmd.env("CHECK_TIFF_DUMP", "1");
    }
    let out = cmd
        .arg(workspace().join("xtask/python/check_tiff.py"))
        .args(files)
        .output()
        .expect("run check_tiff.py");
    assert!(
        out.status.success(),
        "check_tiff.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).unwrap() {
        serde_json::Value::Object(m) => m,
        _ => panic!("bad checker output"),
    }
}

pub fn open_write<'a>(
    res: impl Into<Resource<'a>>,
    options: Options,
) -> imageio_core::Result<ImageFile<'a>> {
    imageio_core::open(res.into(), Mode::Write, &args(options))
}

/// Deterministic pseudo-random u8 data.
pub fn noise_u8(shape: &[usize], seed: u64) -> imageio_core::NdArray {
    let n: usize = shape.iter().product();
    let mut s = seed.wrapping_add(0x9E3779B97F4A7C15);
    let v: Vec<u8> = (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect();
    imageio_core::NdArray::from_shape_vec(shape, v).unwrap()
}
