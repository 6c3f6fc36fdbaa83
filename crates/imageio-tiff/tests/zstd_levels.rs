//! zstd compression levels: with the opt-in `libzstd` feature, `level`/`compressionargs` are
//! libzstd's levels like tifffile/imagecodecs (default 3); without it every level is ruzstd's
//! one (fastest) level. tifffile reads every file with the written pixels.
mod common;

use std::path::PathBuf;

use common::*;
use imageio_core::{NdArray, Options, Value};
use serde_json::{Value as J, json};

/// A 16-bit image with structure and noise (compressible, but not trivially).
fn image() -> NdArray {
    let (h, w) = (256, 320);
    let mut s = 0x9E3779B97F4A7C15u64;
    let v: Vec<u16> = (0..h * w)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let (y, x) = ((i / w) as f64, (i % w) as f64);
            (3000.0 + 1500.0 * (x / 17.0).sin() * (y / 23.0).cos() + (s >> 58) as f64) as u16
        })
        .collect();
    NdArray::from_shape_vec(&[h, w], v).unwrap()
}

/// (name, compressionargs) of the levels written.
fn levels() -> Vec<(&'static str, Option<J>)> {
    vec![
        ("default", None),
        ("l1", Some(json!({"level": 1}))),
        ("l3", Some(json!({"level": 3}))),
        ("l10", Some(json!({"level": 10}))),
        ("l19", Some(json!({"level": 19}))),
        ("lneg5", Some(json!({"level": -5}))),
    ]
}

fn write_ours(dir: &std::path::Path, a: &NdArray) -> Vec<PathBuf> {
    levels()
        .into_iter()
        .map(|(name, args)| {
            let path = dir.join(format!("{name}.ours.tif"));
            let mut o = Options::new()
                .with("compression", "zstd")
                .with("predictor", true);
            if let Some(J::Object(m)) = &args {
                let mut md = imageio_core::Metadata::new();
                md.insert("level".into(), Value::Int(m["level"].as_i64().unwrap()));
                o.set("compressionargs", Value::Map(md));
            }
            let mut f = open_write(path.as_path(), Options::new()).unwrap();
            f.write_with_options(a, None, o).unwrap();
            f.close().unwrap();
            path
        })
        .collect()
}

fn data_bytes(rep: &serde_json::Map<String, J>, p: &std::path::Path) -> u64 {
    let r = &rep[&p.display().to_string()];
    assert!(r.get("error").is_none(), "{}: {r}", p.display());
    std::fs::metadata(p).unwrap().len()
}

#[test]
fn tifffile_reads_our_zstd_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let a = image();
    let ours = write_ours(dir.path(), &a);
    // tifffile's own files at the same levels (imagecodecs' libzstd)
    let raw = dir.path().join("a.raw");
    std::fs::write(&raw, a.to_le_bytes()).unwrap();
    let spec: Vec<J> = levels()
        .iter()
        .map(|(name, args)| {
            let mut kw = json!({"compression": "zstd", "predictor": 2});
            if let Some(args) = args {
                kw["compressionargs"] = args.clone();
            }
            json!({"raw": raw, "dtype": "uint16", "shape": a.shape(), "kwargs": kw,
                   "out": dir.path().join(format!("{name}.tifffile.tif"))})
        })
        .collect();
    let theirs = tifffile_write(dir.path(), spec);
    let all: Vec<PathBuf> = ours.iter().chain(&theirs).cloned().collect();
    let rep = run_checker(&all);
    for p in &ours {
        let r = &rep[&p.display().to_string()];
        assert!(r.get("error").is_none(), "{}: {r}", p.display());
        assert_eq!(
            r["series"][0]["sha256"],
            J::from(a.sha256_hex()),
            "{}",
            p.display()
        );
        assert_eq!(r["page0"]["compression"], J::from(50000));
    }
    let size = |v: &[PathBuf], k: usize| data_bytes(&rep, &v[k]);
    let names: Vec<&str> = levels().iter().map(|l| l.0).collect();
    for (k, name) in names.iter().enumerate() {
        eprintln!(
            "zstd {name}: ours {} bytes, tifffile {} bytes",
            size(&ours, k),
            size(&theirs, k)
        );
    }
    let bytes: Vec<Vec<u8>> = ours.iter().map(|p| std::fs::read(p).unwrap()).collect();
    if cfg!(feature = "libzstd") {
        // real levels: the default is level 3, higher levels compress better, and each level lands within 10 % of tifffile's file at that level
        assert_eq!(bytes[0], bytes[2], "default must be level 3");
        assert!(
            size(&ours, 4) < size(&ours, 1),
            "level 19 not smaller than 1"
        );
        assert!(
            size(&ours, 3) < size(&ours, 1),
            "level 10 not smaller than 1"
        );
        // imagecodecs ignores negative levels (its default 3): so do we
        assert_eq!(bytes[5], bytes[0], "level -5 must be the default");
        for (k, name) in names.iter().enumerate() {
            let (o, t) = (size(&ours, k) as f64, size(&theirs, k) as f64);
            assert!((o / t - 1.0).abs() < 0.10, "{name}: {o} vs tifffile's {t}");
        }
    } else {
        // ruzstd: one level for every requested level (documented)
        for (k, b) in bytes.iter().enumerate() {
            assert_eq!(b, &bytes[0], "{}: differs from the default", names[k]);
        }
    }
}
