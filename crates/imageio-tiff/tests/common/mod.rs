#![allow(dead_code, unused_imports)]
use std::path::PathBuf;

use imageio_core::{ImageFile, Index, Mode, OpenArgs, Options, Resource, Value};

// link the plugin
use imageio_tiff as _;

pub use imageio_testutil::{psnr, python, workspace};

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

/// Coefficients of [`smooth_photo`]: per channel a base level, a ramp, a wave amplitude.
pub struct PhotoField {
    pub base: [f64; 3],
    pub ramp: [f64; 3],
    pub wave: [f64; 3],
    /// the texture is the xorshift state `>> noise_shift` (61: 0..7, 59: 0..31)
    pub noise_shift: u32,
    pub max: f64,
}

/// A smooth, photo-like image (gradients, sinusoids and mild sensor-like texture), `c` of the
/// three channels per pixel, each clamped to `0..=max`, row-major (H, W, c).
pub fn smooth_photo(h: usize, w: usize, c: usize, f: &PhotoField) -> Vec<f64> {
    let mut v = Vec::with_capacity(h * w * c);
    let mut s = 0x2545F4914F6CDD1Du64;
    for y in 0..h {
        for x in 0..w {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let n = (s >> f.noise_shift) as f64;
            let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
            let r = f.base[0] + f.ramp[0] * fx + f.wave[0] * (fy * 9.0).sin() + n;
            let g = f.base[1] + f.ramp[1] * fy + f.wave[1] * (fx * 7.0 + fy * 3.0).cos() + n;
            let b = f.base[2]
                + f.ramp[2] * (1.0 - fx) * fy
                + f.wave[2] * ((fx - 0.5).hypot(fy - 0.5) * 12.0).sin();
            for k in [r, g, b].into_iter().take(c) {
                v.push(k.clamp(0.0, f.max));
            }
        }
    }
    v
}

/// A smooth, photo-like uint8 RGB image (H, W, 3).
pub fn photo(h: usize, w: usize) -> imageio_core::NdArray {
    let field = PhotoField {
        base: [40.0, 60.0, 90.0],
        ramp: [150.0, 120.0, 80.0],
        wave: [30.0, 40.0, 50.0],
        noise_shift: 61,
        max: 255.0,
    };
    let v: Vec<u8> = smooth_photo(h, w, 3, &field)
        .into_iter()
        .map(|k| k as u8)
        .collect();
    imageio_core::NdArray::from_shape_vec(&[h, w, 3], v).unwrap()
}

/// A smooth, photo-like 12-bit image (uint16, 0..=4095): `c` = 1 (gray, 2-d) or 3 (RGB).
pub fn photo12(h: usize, w: usize, c: usize) -> imageio_core::NdArray {
    let field = PhotoField {
        base: [600.0, 900.0, 1400.0],
        ramp: [2400.0, 1900.0, 1300.0],
        wave: [480.0, 640.0, 800.0],
        noise_shift: 59,
        max: 4095.0,
    };
    let v: Vec<u16> = smooth_photo(h, w, c, &field)
        .into_iter()
        .map(|k| k as u16)
        .collect();
    let shape: Vec<usize> = if c == 1 { vec![h, w] } else { vec![h, w, c] };
    imageio_core::NdArray::from_shape_vec(&shape, v).unwrap()
}

/// (H, W, C) → (C, H, W) for uint8 or uint16 data.
pub fn planar(a: &imageio_core::NdArray) -> imageio_core::NdArray {
    fn go<T>(a: &imageio_core::NdArray) -> Option<imageio_core::NdArray>
    where
        T: imageio_core::DynElement,
        imageio_core::NdArray: From<ndarray::ArrayD<T>>,
    {
        let v = a.as_array::<T>()?;
        Some(imageio_core::NdArray::from(
            v.permuted_axes(vec![2, 0, 1])
                .as_standard_layout()
                .to_owned(),
        ))
    }
    go::<u8>(a)
        .or_else(|| go::<u16>(a))
        .expect("planar: uint8 or uint16 data")
}

/// Little-endian bytes → uint16 samples.
pub fn u16s(le: &[u8]) -> Vec<u16> {
    le.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// An option value that is a list of integers.
pub fn list(v: &[i64]) -> Value {
    Value::List(v.iter().map(|&x| x.into()).collect())
}

/// Writes `spec` as JSON to `spec_path` and runs `check_tiff.py FLAG SPEC_PATH`; its stdout.
pub fn check_tiff_spec(
    flag: &str,
    spec_path: &std::path::Path,
    spec: &serde_json::Value,
) -> String {
    std::fs::write(spec_path, serde_json::to_vec(spec).unwrap()).unwrap();
    imageio_testutil::run_python("check_tiff.py", &[flag.as_ref(), spec_path.as_os_str()])
}

/// tifffile writes each spec entry (`raw`, `dtype`, `shape`, `kwargs`, `out`); the files it wrote.
pub fn tifffile_write(dir: &std::path::Path, spec: Vec<serde_json::Value>) -> Vec<PathBuf> {
    let out = check_tiff_spec("--tifffile-write", &dir.join("spec.json"), &spec.into());
    serde_json::from_str::<Vec<String>>(&out)
        .unwrap()
        .into_iter()
        .map(PathBuf::from)
        .collect()
}
