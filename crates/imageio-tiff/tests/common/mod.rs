#![allow(dead_code, unused_imports)]
use std::path::PathBuf;

use imageio_core::{ImageFile, Index, Mode, OpenArgs, Options, Resource, Value};

// link the plugin
use imageio_tiff as _;

pub use imageio_testutil::{python, workspace};

pub fn fixture(name: &str) -> PathBuf {
    imageio_testutil::fixtures("tiff").join(name)
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
    let mut cmd = imageio_testutil::python_command("check_tiff.py");
    if dump {
        cmd.env("CHECK_TIFF_DUMP", "1");
    }
    let stdout = imageio_testutil::stdout_of(cmd.args(files));
    match serde_json::from_str(&stdout).unwrap() {
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
