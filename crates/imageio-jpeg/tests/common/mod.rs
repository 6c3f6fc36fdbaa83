//! Shared helpers of the JPEG tests: paths, the reference Python, .npy files, manifest.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};

use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Resource};
use imageio_jpeg as _;
use serde_json::Value as J;

pub use imageio_testutil::{python, workspace as root};

pub fn fixtures() -> PathBuf {
    imageio_testutil::fixtures("jpeg")
}

pub fn manifest() -> J {
    imageio_testutil::manifest("jpeg")
}

/// The manifest's cases.
pub fn cases() -> Vec<J> {
    manifest()["cases"].as_array().unwrap().clone()
}

/// Runs `check_jpeg.py ARGS…` and parses its JSON line (panics with its output on failure).
pub fn check_jpeg(args: &[&str]) -> J {
    let stdout = imageio_testutil::run_python("check_jpeg.py", args);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bad JSON from check_jpeg.py: {e}: {stdout}"))
}

/// Resolves a manifest `file` (`standard:NAME` or a fixture path).
pub fn case_path(file: &str) -> PathBuf {
    match file.strip_prefix("standard:") {
        Some(name) => imageio_core::standard::resolve(name)
            .unwrap_or_else(|e| panic!("standard image {name}: {e}")),
        None => fixtures().join(file),
    }
}

/// Opens `path` with the jpeg plugin and `options`, reads `index`.
pub fn read(path: &Path, options: Options) -> NdArray {
    read_index(path, options, Index::Default)
}

pub fn read_index(path: &Path, options: Options, index: Index) -> NdArray {
    let args = OpenArgs {
        options,
        ..Default::default()
    };
    let mut f = imageio_core::open(Resource::from(path), Mode::Read, &args).unwrap();
    assert_eq!(f.plugin_name(), "jpeg");
    f.read(index)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads a little .npy file of uint8 (C order) into (shape, data).
pub fn read_npy(path: &Path) -> (Vec<usize>, Vec<u8>) {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        b.starts_with(b"\x93NUMPY"),
        "{} is not .npy",
        path.display()
    );
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        _ => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
    };
    let header = std::str::from_utf8(&b[start..start + hlen]).unwrap();
    assert!(
        header.contains("'descr': '|u1'"),
        "only uint8 .npy: {header}"
    );
    assert!(header.contains("'fortran_order': False"), "{header}");
    let shape_txt = header
        .split("'shape': (")
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap();
    let shape: Vec<usize> = shape_txt
        .split(',')
        .filter_map(|t| t.trim().parse().ok())
        .collect();
    let data = b[start + hlen..].to_vec();
    assert_eq!(
        data.len(),
        shape.iter().product::<usize>(),
        "{}",
        path.display()
    );
    (shape, data)
}

/// Writes a uint8 C-order .npy file.
pub fn write_npy(path: &Path, shape: &[usize], data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_txt = if dims.len() == 1 {
        format!("{},", dims[0])
    } else {
        dims.join(", ")
    };
    let mut header =
        format!("{{'descr': '|u1', 'fortran_order': False, 'shape': ({shape_txt}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    std::fs::write(path, out).unwrap();
}

/// (max |Δ|, mean |Δ|) between two equally long byte arrays.
pub fn diff(a: &[u8], b: &[u8]) -> (u8, f64) {
    assert_eq!(a.len(), b.len());
    let mut max = 0u8;
    let mut sum = 0u64;
    for (x, y) in a.iter().zip(b) {
        let d = x.abs_diff(*y);
        max = max.max(d);
        sum += u64::from(d);
    }
    (max, sum as f64 / a.len().max(1) as f64)
}

pub fn bytes_of(a: &NdArray) -> Vec<u8> {
    a.to_le_bytes()
}

pub fn shape_of(j: &J) -> Vec<usize> {
    j.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect()
}

pub fn opts(j: &J) -> Options {
    let mut o = Options::new();
    if let Some(m) = j.as_object() {
        for (k, v) in m {
            match v {
                J::Bool(b) => o.set(k.as_str(), *b),
                J::String(s) => o.set(k.as_str(), s.as_str()),
                J::Number(n) => o.set(k.as_str(), n.as_i64().unwrap()),
                other => panic!("option {k}={other}"),
            };
        }
    }
    o
}

/// This process's scratch directory `imageio-jpeg-{tag}-{pid}` (created) in the temp dir.
pub fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imageio-jpeg-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes `img` to `path` with the plugin chosen by the extension and `options`.
pub fn write_file(path: &Path, img: &NdArray, options: Options) -> imageio_core::Result<()> {
    let args = OpenArgs {
        options,
        ..Default::default()
    };
    let mut f = imageio_core::open(Resource::from(path), Mode::Write, &args)?;
    f.write(img)?;
    f.close()?;
    Ok(())
}
