//! The `segments` write option (tifffile's `data` iterators of bytes or arrays) and page-by-page
//! streaming with `contiguous`, checked by tifffile (xtask/python/check_tiff.py).
mod common;

use std::path::{Path, PathBuf};

use common::*;
use imageio_core::{DType, Index, NdArray, Options, Resource, Value};
use imageio_tiff::TiffWriteOptions;
use serde_json::{Value as J, json};

fn smooth_u16(shape: &[usize]) -> NdArray {
    let n: usize = shape.iter().product();
    let w = *shape.last().unwrap();
    let v: Vec<u16> = (0..n)
        .map(|i| {
            let (y, x) = ((i / w) as f64, (i % w) as f64);
            (20000.0 + 9000.0 * (x / 9.0).sin() * (y / 13.0).cos() + (i % 7) as f64 * 3.0) as u16
        })
        .collect();
    NdArray::from_shape_vec(shape, v).unwrap()
}

fn smooth_rgb(h: usize, w: usize) -> NdArray {
    let mut v = Vec::with_capacity(h * w * 3);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
            v.push((40.0 + 150.0 * fx + 30.0 * (fy * 9.0).sin()) as u8);
            v.push((60.0 + 120.0 * fy + 40.0 * (fx * 7.0).cos()) as u8);
            v.push((90.0 + 80.0 * (1.0 - fx) * fy) as u8);
        }
    }
    NdArray::from_shape_vec(&[h, w, 3], v).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// tifffile writes `a` with `kwargs` to `out`; returns its raw segments and what it reads.
fn tifffile_segments(dir: &Path, name: &str, a: &NdArray, kwargs: &J) -> (PathBuf, J) {
    let raw = dir.join(format!("{name}.raw"));
    std::fs::write(&raw, a.to_le_bytes()).unwrap();
    let out = dir.join(format!("{name}.tifffile.tif"));
    let shape = serde_json::to_string(a.shape()).unwrap();
    let kw = kwargs.to_string();
    let text = imageio_testutil::run_python(
        "check_tiff.py",
        &[
            "--segments",
            out.to_str().unwrap(),
            raw.to_str().unwrap(),
            a.dtype().numpy_name(),
            shape.as_str(),
            kw.as_str(),
        ],
    );
    (out, serde_json::from_str(&text).unwrap())
}

fn json_to_value(j: &J) -> Value {
    match j {
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Int(n.as_i64().unwrap()),
        J::String(s) => Value::Str(s.clone()),
        J::Array(a) => Value::List(a.iter().map(json_to_value).collect()),
        J::Object(m) => {
            let mut md = imageio_core::Metadata::new();
            for (k, v) in m {
                md.insert(k.clone(), json_to_value(v));
            }
            Value::Map(md)
        }
        J::Null => panic!("null"),
    }
}

fn nothing(dtype: DType) -> NdArray {
    NdArray::zeros(dtype, &[0])
}

#[test]
fn pre_encoded_segments_copied_from_tifffile_files() {
    let dir = tempfile::tempdir().unwrap();
    let vol = smooth_u16(&[2, 80, 96]);
    let rgb = smooth_rgb(80, 96);
    let gray = NdArray::from_shape_vec(
        &[70, 50],
        (0..3500u32).map(|i| (i * 7 % 251) as u8).collect(),
    )
    .unwrap();
    // (name, data, tifffile kwargs = our options, use the split JPEGTables form)
    let cases: Vec<(&str, &NdArray, J, bool)> = vec![
        (
            "deflate_tiled_p2",
            &vol,
            json!({"compression": "zlib", "predictor": 2, "tile": [32, 32]}),
            false,
        ),
        (
            "jpeg_tiled",
            &rgb,
            json!({"photometric": "rgb", "compression": "jpeg", "compressionargs": {"level": 90},
                   "tile": [32, 32]}),
            false,
        ),
        (
            "jpeg_tiled_tables",
            &rgb,
            json!({"photometric": "rgb", "compression": "jpeg", "compressionargs": {"level": 90},
                   "tile": [32, 32], "subsampling": [1, 1]}),
            true,
        ),
        (
            "lzw_strips",
            &gray,
            json!({"compression": "lzw", "rowsperstrip": 16}),
            false,
        ),
        ("raw_strips", &gray, json!({"rowsperstrip": 32}), false),
    ];
    let mut ours = Vec::new();
    let mut refs = Vec::new();
    for (name, a, kw, split) in &cases {
        let (orig, info) = tifffile_segments(dir.path(), name, a, kw);
        let file = std::fs::read(&orig).unwrap();
        let (segs, tables): (Vec<Vec<u8>>, Option<Vec<u8>>) = if *split {
            let s = &info["split"];
            (
                s["segments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| hex(h.as_str().unwrap()))
                    .collect(),
                Some(hex(s["jpegtables"].as_str().unwrap())),
            )
        } else {
            let offs = info["offsets"].as_array().unwrap();
            let counts = info["bytecounts"].as_array().unwrap();
            (
                offs.iter()
                    .zip(counts)
                    .map(|(o, c)| {
                        let (o, c) = (o.as_u64().unwrap() as usize, c.as_u64().unwrap() as usize);
                        file[o..o + c].to_vec()
                    })
                    .collect(),
                info["jpegtables"].as_str().map(hex),
            )
        };
        let mut o = TiffWriteOptions::new().empty(a.shape(), a.dtype());
        for (k, v) in kw.as_object().unwrap() {
            o = o.set(k, json_to_value(v));
        }
        if let Some(t) = tables {
            o = o.jpegtables(t);
        }
        let path = dir.path().join(format!("{name}.ours.tif"));
        let mut f = open_write(path.as_path(), Options::new()).unwrap();
        f.write_with_options(&nothing(a.dtype()), None, o.segment_bytes(segs))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        f.close().unwrap();
        ours.push(path);
        refs.push(info);
    }
    let rep = run_checker(&ours);
    for ((name, a, _, split), (path, info)) in cases.iter().zip(ours.iter().zip(&refs)) {
        let r = &rep[&path.display().to_string()];
        assert!(r.get("error").is_none(), "{name}: {r}");
        let s = &r["series"][0];
        assert_eq!(s["shape"], J::from(a.shape().to_vec()), "{name}");
        assert_eq!(s["shape"], info["shape"], "{name}");
        assert_eq!(s["dtype"], info["dtype"], "{name}");
        // the same pixels tifffile decodes from its own file
        assert_eq!(s["sha256"], info["sha256"], "{name}: pixels differ");
        if *split {
            assert!(
                s["page"]["jpegtables"]["len"].as_u64().unwrap() > 100,
                "{name}"
            );
        }
        if name.starts_with("jpeg") {
            assert_eq!(r["page0"]["tags"]["262"], J::from(6), "{name}");
        }
        // and our reader agrees with tifffile
        let back = open_read(path.as_path(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap();
        assert_eq!(back.shape(), a.shape(), "{name}");
        if !name.starts_with("jpeg") {
            assert_eq!(back, **a, "{name}");
        }
    }
}

#[test]
fn segment_arrays_pages_and_zero_padded_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let vol = smooth_u16(&[5, 40, 56]);
    let view = vol.as_array::<u16>().unwrap();
    // pages, compressed by us
    let pages: Vec<NdArray> = (0..5)
        .map(|p| NdArray::from(view.index_axis(ndarray::Axis(0), p).to_owned()))
        .collect();
    // tiles of 16 x 32 in tifffile's order (page, row, column); the edge tiles are given
    // incomplete (8 rows, 24 columns) and are zero-padded like tifffile
    let mut tiles = Vec::new();
    for p in 0..5 {
        for y in (0..40).step_by(16) {
            for x in (0..56).step_by(32) {
                let t = view.slice(ndarray::s![p, y..(y + 16).min(40), x..(x + 32).min(56)]);
                tiles.push(NdArray::from(t.to_owned().into_dyn()));
            }
        }
    }
    let cases: Vec<(&str, TiffWriteOptions)> = vec![
        (
            "pages_zlib",
            TiffWriteOptions::new()
                .compression("zlib")
                .predictor(true)
                .rowsperstrip(8)
                .segment_arrays(pages.clone()),
        ),
        ("pages_raw", TiffWriteOptions::new().segment_arrays(pages)),
        (
            "tiles_zstd",
            TiffWriteOptions::new()
                .compression("zstd")
                .tile(16, 32)
                .segment_arrays(tiles.clone()),
        ),
        (
            "tiles_raw",
            TiffWriteOptions::new().tile(16, 32).segment_arrays(tiles),
        ),
    ];
    let mut files = Vec::new();
    for (name, o) in cases {
        let path = dir.path().join(format!("{name}.tif"));
        let mut f = open_write(path.as_path(), Options::new()).unwrap();
        f.write_with_options(
            &nothing(DType::U16),
            None,
            o.empty(&[5, 40, 56], DType::U16),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        f.close().unwrap();
        files.push(path);
    }
    let rep = run_checker(&files);
    for p in &files {
        let r = &rep[&p.display().to_string()];
        assert!(r.get("error").is_none(), "{}: {r}", p.display());
        let s = &r["series"][0];
        assert_eq!(s["shape"], json!([5, 40, 56]), "{}", p.display());
        assert_eq!(s["sha256"], J::from(vol.sha256_hex()), "{}", p.display());
    }
}

#[test]
fn contiguous_writes_stream_pages_like_tifffiles_iterator() {
    let dir = tempfile::tempdir().unwrap();
    let vol = smooth_u16(&[5, 32, 48]);
    let view = vol.as_array::<u16>().unwrap();
    let ours = dir.path().join("stream.tif");
    let mut f = open_write(ours.as_path(), Options::new()).unwrap();
    for p in 0..5 {
        let page = NdArray::from(view.index_axis(ndarray::Axis(0), p).to_owned());
        f.write_with_options(&page, None, TiffWriteOptions::new().contiguous(true))
            .unwrap();
    }
    f.close().unwrap();
    // tifffile writes the same pages from an iterator: write(iter(pages), shape=, dtype=)
    let raw = dir.path().join("stream.raw");
    std::fs::write(&raw, vol.to_le_bytes()).unwrap();
    let theirs = dir.path().join("stream.tifffile.tif");
    let script = format!(
        "import numpy as np, tifffile\n\
         a = np.fromfile({raw:?}, dtype='<u2').reshape(5, 32, 48)\n\
         with tifffile.TiffWriter({theirs:?}) as tw:\n    \
         tw.write(iter(a), shape=a.shape, dtype=a.dtype)\n",
        raw = raw.display().to_string(),
        theirs = theirs.display().to_string()
    );
    let st = std::process::Command::new(python())
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(st.success());
    let rep = run_checker(&[ours.clone(), theirs.clone()]);
    let (ro, rt) = (
        &rep[&ours.display().to_string()],
        &rep[&theirs.display().to_string()],
    );
    assert!(ro.get("error").is_none(), "{ro}");
    assert!(rt.get("error").is_none(), "{rt}");
    for k in ["n_pages", "is_shaped"] {
        assert_eq!(ro[k], rt[k], "{k}");
    }
    assert_eq!(ro["series"].as_array().unwrap().len(), 1);
    for k in ["shape", "dtype", "sha256", "axes"] {
        assert_eq!(ro["series"][0][k], rt["series"][0][k], "{k}");
    }
    assert_eq!(ro["series"][0]["shape"], json!([5, 32, 48]));
    assert_eq!(ro["series"][0]["sha256"], J::from(vol.sha256_hex()));
    // the same shaped description (JSON; tifffile puts spaces after separators)
    let desc =
        |r: &J| -> J { serde_json::from_str(r["page0"]["description"].as_str().unwrap()).unwrap() };
    assert_eq!(desc(ro), desc(rt));
    assert_eq!(desc(ro), json!({"shape": [5, 32, 48]}));
}

#[test]
fn segments_refusals() {
    let page = NdArray::from_shape_vec(&[4, 5], vec![1u8; 20]).unwrap();
    let tile_big = NdArray::from_shape_vec(&[32, 16], vec![1u8; 512]).unwrap();
    let u16page = NdArray::from_shape_vec(&[4, 4], vec![1u16; 16]).unwrap();
    let cases: Vec<(NdArray, Options, &str)> = vec![
        (
            nothing(DType::U8),
            TiffWriteOptions::new()
                .empty(&[4, 4], DType::U8)
                .rowsperstrip(2)
                .segment_bytes(vec![vec![0; 8]])
                .into(),
            "1 pre-encoded segments given, the series has 2",
        ),
        (
            nothing(DType::U8),
            TiffWriteOptions::new()
                .empty(&[4, 4], DType::U8)
                .segment_bytes(vec![vec![0; 15]])
                .into(),
            "has 15 bytes, not 16",
        ),
        (
            page.clone(),
            TiffWriteOptions::new()
                .segment_bytes(vec![vec![0; 16]])
                .into(),
            "image without elements",
        ),
        (
            nothing(DType::U8),
            TiffWriteOptions::new()
                .empty(&[2, 4, 5], DType::U8)
                .segment_arrays(vec![page.clone()])
                .into(),
            "1 page arrays given, the series has 2 pages",
        ),
        (
            nothing(DType::U8),
            TiffWriteOptions::new()
                .empty(&[4, 4], DType::U8)
                .segment_arrays(vec![u16page])
                .into(),
            "is uint16, the series is uint8",
        ),
        (
            nothing(DType::U8),
            TiffWriteOptions::new()
                .empty(&[16, 16], DType::U8)
                .tile(16, 16)
                .segment_arrays(vec![tile_big])
                .into(),
            "does not fit the tile shape",
        ),
        (
            nothing(DType::U8),
            TiffWriteOptions::new()
                .empty(&[4, 4], DType::U8)
                .set("segments", Value::List(vec![Value::Int(3)]))
                .into(),
            "list of bytes",
        ),
    ];
    for (img, o, msg) in cases {
        let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
        let e = f.write_with_options(&img, None, o).unwrap_err().to_string();
        assert!(e.contains(msg), "{msg}: {e}");
    }
    let e = open_write(
        Resource::ReturnBytes,
        TiffWriteOptions::new()
            .segment_bytes(vec![vec![0; 16]])
            .into(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("write_with_options"), "{e}");
}
