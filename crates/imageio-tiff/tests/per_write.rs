//! Per-write options (`ImageFile::write_with_options`), `returnoffset`, empty writes and the
//! append/exclusive modes through the sink, checked against tifffile.
mod common;

use std::path::PathBuf;

use common::*;
use imageio_core::{DType, Index, Mode, NdArray, Options, Resource, Value};
use imageio_tiff::TiffWriteOptions;
use serde_json::Value as J;

fn u16_ramp(shape: &[usize], seed: u16) -> NdArray {
    let n: usize = shape.iter().product();
    NdArray::from_shape_vec(
        shape,
        (0..n)
            .map(|i| (i as u16).wrapping_mul(7).wrapping_add(seed))
            .collect::<Vec<u16>>(),
    )
    .unwrap()
}

fn empty_u8() -> NdArray {
    NdArray::from_shape_vec(&[0], Vec::<u8>::new()).unwrap()
}

#[test]
fn per_write_options_override_the_open_ones_for_that_write_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("per_write.tif");
    let a = noise_u8(&[2, 32, 40], 1);
    let b = noise_u8(&[32, 40, 3], 2);
    let c = u16_ramp(&[3, 40, 36], 3);
    let d = noise_u8(&[24, 24], 4);
    let mut f = open_write(
        path.as_path(),
        Options::new()
            .with("compression", "zlib")
            .with("software", "opened"),
    )
    .unwrap();
    // no per-write options: the open-time ones
    assert!(
        f.write_with_options(&a, None, Options::new())
            .unwrap()
            .is_empty()
    );
    f.write_with_options(
        &b,
        None,
        Options::new()
            .with("compression", "lzw")
            .with("predictor", true)
            .with("description", "second series")
            .with("software", "second")
            .with("datetime", "2020:01:02 03:04:05")
            .with("resolution", Value::List(vec![2.0.into(), 3.0.into()]))
            .with(
                "extratags",
                Value::List(vec![Value::List(vec![
                    65010i64.into(),
                    "s".into(),
                    0i64.into(),
                    "per write".into(),
                    true.into(),
                ])]),
            ),
    )
    .unwrap();
    f.write_with_options(
        &c,
        None,
        TiffWriteOptions::new()
            .compression("none")
            .photometric("minisblack")
            .tile(16, 32),
    )
    .unwrap();
    // back to the open-time options
    f.write(&d).unwrap();
    f.close().unwrap();

    let rep = run_checker(std::slice::from_ref(&path));
    let r = &rep[&path.display().to_string()];
    assert!(r.get("error").is_none(), "{r}");
    let series = r["series"].as_array().unwrap();
    assert_eq!(series.len(), 4, "{r}");
    for (s, want) in series.iter().zip([&a, &b, &c, &d]) {
        assert_eq!(s["sha256"].as_str().unwrap(), want.sha256_hex(), "{s}");
    }
    let page = |k: usize, key: &str| series[k]["page"][key].clone();
    assert_eq!(page(0, "compression"), J::from(8));
    assert_eq!(page(0, "software"), J::from("opened"));
    assert_eq!(page(1, "compression"), J::from(5));
    assert_eq!(page(1, "predictor"), J::from(2));
    assert_eq!(page(1, "description"), J::from("second series"));
    assert_eq!(page(1, "software"), J::from("second"));
    assert_eq!(page(1, "datetime"), J::from("2020:01:02 03:04:05"));
    assert_eq!(page(1, "resolution"), J::from(vec![2.0, 3.0]));
    assert_eq!(page(1, "tags")["65010"], J::from("per write"));
    assert_eq!(page(2, "compression"), J::from(1));
    assert_eq!(page(2, "photometric"), J::from(1));
    assert_eq!(page(2, "tilelength"), J::from(16));
    assert_eq!(page(2, "tilewidth"), J::from(32));
    assert_eq!(series[2]["shape"], J::from(vec![3, 40, 36]));
    assert_eq!(page(3, "compression"), J::from(8));
    assert_eq!(page(3, "software"), J::from("opened"));
    assert_eq!(
        page(3, "description"),
        J::from(r#"{"shape": [24, 24]}"#.replace(' ', ""))
    );
    assert_eq!(page(3, "tags"), J::Object(Default::default()));

    let mut rf = open_read(path.as_path(), Options::new()).unwrap();
    for (k, want) in [&a, &b, &c, &d].into_iter().enumerate() {
        assert_eq!(&rf.read(Index::At(k)).unwrap(), want, "series {k}");
    }
}

#[test]
fn per_write_subifds_apply_to_that_series_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pyramid.tif");
    let base = noise_u8(&[64, 48], 1);
    let half = noise_u8(&[32, 24], 2);
    let quarter = noise_u8(&[16, 12], 3);
    let other = noise_u8(&[20, 20], 4);
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write_with_options(
        &base,
        None,
        Options::new()
            .with("subifds", 2i64)
            .with("tile", list(&[16, 16])),
    )
    .unwrap();
    f.write_with_options(&half, None, Options::new().with("subfiletype", 1i64))
        .unwrap();
    f.write_with_options(&quarter, None, Options::new().with("subfiletype", 1i64))
        .unwrap();
    // a following write without `subifds` is a plain series again
    f.write(&other).unwrap();
    f.close().unwrap();
    let rep = run_checker(std::slice::from_ref(&path));
    let r = &rep[&path.display().to_string()];
    let s = r["series"].as_array().unwrap();
    assert_eq!(s.len(), 2, "{r}");
    assert_eq!(s[0]["levels"].as_array().unwrap().len(), 2, "{r}");
    assert_eq!(
        s[0]["levels"][1]["sha256"].as_str().unwrap(),
        quarter.sha256_hex()
    );
    assert_eq!(s[1]["sha256"].as_str().unwrap(), other.sha256_hex());
    assert_eq!(s[1]["levels"].as_array().unwrap().len(), 0, "{r}");
}

#[test]
fn file_level_options_per_write_are_errors() {
    let a = noise_u8(&[8, 8], 1);
    for (k, v) in [
        ("bigtiff", Value::Bool(true)),
        ("byteorder", ">".into()),
        ("imagej", true.into()),
        ("ome", true.into()),
        ("shaped", false.into()),
        ("mode", "w".into()),
        ("append", true.into()),
    ] {
        let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
        let e = f
            .write_with_options(&a, None, Options::new().with(k, v))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("applies to the whole file") && e.contains(k),
            "{k}: {e}"
        );
    }
    // and an invalid per-write combination is refused like an open-time one
    let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
    let e = f
        .write_with_options(&a, None, Options::new().with("predictor", 2i64))
        .unwrap_err()
        .to_string();
    assert!(e.contains("predictor needs compression"), "{e}");
}

/// One write of a returnoffset case: (data, per-write options as JSON kwargs for tifffile).
fn ro_cases() -> Vec<Vec<(NdArray, serde_json::Value)>> {
    let j = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    vec![
        vec![(
            u16_ramp(&[3, 16, 20], 1),
            j(r#"{"photometric": "minisblack"}"#),
        )],
        vec![(noise_u8(&[16, 20, 3], 2), j(r#"{"photometric": "rgb"}"#))],
        vec![(
            u16_ramp(&[3, 16, 20], 3),
            j(r#"{"photometric": "minisblack", "rowsperstrip": 5}"#),
        )],
        vec![(noise_u8(&[16, 20], 4), j(r#"{"compression": "zlib"}"#))],
        vec![(noise_u8(&[32, 32], 5), j(r#"{"tile": [32, 32]}"#))],
        vec![(noise_u8(&[64, 32], 6), j(r#"{"tile": [32, 32]}"#))],
        vec![(
            NdArray::from_shape_vec(&[8, 16], (0..128).map(|i| i % 3 == 0).collect::<Vec<_>>())
                .unwrap(),
            j("{}"),
        )],
        vec![(
            u16_ramp(&[16, 20], 7).mapv_u16(|x| x % 4096),
            j(r#"{"bitspersample": 12}"#),
        )],
        vec![
            (u16_ramp(&[16, 20], 8), j(r#"{"contiguous": true}"#)),
            (u16_ramp(&[16, 20], 9), j(r#"{"contiguous": true}"#)),
            (u16_ramp(&[16, 20], 10), j(r#"{"contiguous": true}"#)),
        ],
        vec![(
            u16_ramp(&[3, 16, 20], 11),
            j(r#"{"photometric": "minisblack", "truncate": true}"#),
        )],
    ]
}

trait MapV {
    fn mapv_u16(self, f: fn(u16) -> u16) -> NdArray;
}
impl MapV for NdArray {
    fn mapv_u16(self, f: fn(u16) -> u16) -> NdArray {
        NdArray::from(self.into_array::<u16>().unwrap().mapv(f))
    }
}

fn json_to_value(v: &serde_json::Value) -> Value {
    match v {
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Int(n.as_i64().unwrap()),
        J::String(s) => Value::Str(s.clone()),
        J::Array(a) => Value::List(a.iter().map(json_to_value).collect()),
        other => panic!("{other}"),
    }
}

#[test]
fn returnoffset_reports_what_tifffile_reports_and_the_bytes_are_there() {
    let dir = tempfile::tempdir().unwrap();
    let cases = ro_cases();
    // tifffile's answers for the same writes
    let spec: Vec<Vec<J>> = cases
        .iter()
        .map(|writes| {
            writes
                .iter()
                .map(|(a, kw)| {
                    serde_json::json!({"shape": a.shape(), "dtype": a.dtype().numpy_name(), "kwargs": kw})
                })
                .collect()
        })
        .collect();
    let out = check_tiff_spec(
        "--returnoffset",
        &dir.path().join("spec.json"),
        &spec.into(),
    );
    let want: Vec<Vec<J>> = serde_json::from_str(&out).unwrap();
    let mut some = 0;
    for (k, writes) in cases.iter().enumerate() {
        let path = dir.path().join(format!("ro{k}.tif"));
        let mut f = open_write(path.as_path(), Options::new()).unwrap();
        let mut got = Vec::new();
        for (a, kw) in writes {
            let mut o = Options::new().with("returnoffset", true);
            for (key, v) in kw.as_object().unwrap() {
                o.set(key.clone(), json_to_value(v));
            }
            got.push(f.write_with_options(a, None, o).unwrap());
        }
        f.close().unwrap();
        let file = std::fs::read(&path).unwrap();
        for (w, ((a, kw), rep)) in writes.iter().zip(&got).enumerate() {
            let tf = &want[k][w];
            if tf.is_null() {
                assert!(
                    rep.is_empty(),
                    "case {k} {kw}: tifffile reports None, we {rep:?}"
                );
                continue;
            }
            some += 1;
            let off = rep.get("offset").and_then(Value::as_int);
            let n = rep.get("bytecount").and_then(Value::as_int);
            let (Some(off), Some(n)) = (off, n) else {
                panic!("case {k} {kw}: tifffile reports {tf}, we {rep:?}");
            };
            assert_eq!(
                n,
                tf[1].as_i64().unwrap(),
                "case {k} {kw}: bytecount differs from tifffile's"
            );
            // the reported bytes are the image data (little-endian file, C order)
            let data = a.to_le_bytes();
            assert_eq!(
                &file[off as usize..(off + n) as usize],
                &data[..n as usize],
                "case {k} write {w}: bytes at the reported offset"
            );
        }
    }
    assert!(some >= 6, "only {some} cases had an offset");
}

#[test]
fn empty_writes_make_zero_series_tifffile_reads_with_their_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.tif");
    let after = noise_u8(&[10, 12], 3);
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    let rep = f
        .write_with_options(
            &empty_u8(),
            None,
            TiffWriteOptions::new()
                .empty(&[3, 64, 80], DType::U16)
                .photometric("minisblack")
                .returnoffset(true),
        )
        .unwrap();
    assert_eq!(
        rep.get("bytecount").and_then(Value::as_int),
        Some(64 * 80 * 2)
    );
    // multi-strip empty series with an explicit rowsperstrip
    f.write_with_options(
        &empty_u8(),
        None,
        Options::new()
            .with("shape", list(&[2, 33, 17, 3]))
            .with("dtype", "uint8")
            .with("rowsperstrip", 8i64),
    )
    .unwrap();
    f.write(&after).unwrap();
    // zero-size data: one (0, 0) page whose description keeps the shape (tifffile)
    f.write(&NdArray::from_shape_vec(&[0, 5], Vec::<f32>::new()).unwrap())
        .unwrap();
    f.close().unwrap();

    let z1 = NdArray::zeros(DType::U16, &[3, 64, 80]);
    let z2 = NdArray::zeros(DType::U8, &[2, 33, 17, 3]);
    let rep = run_checker(std::slice::from_ref(&path));
    let r = &rep[&path.display().to_string()];
    assert!(r.get("error").is_none(), "{r}");
    let s = r["series"].as_array().unwrap();
    let shapes: Vec<J> = s.iter().map(|x| x["shape"].clone()).collect();
    assert_eq!(
        shapes,
        vec![
            J::from(vec![3, 64, 80]),
            J::from(vec![2, 33, 17, 3]),
            J::from(vec![10, 12]),
            J::from(vec![0, 5])
        ],
        "{r}"
    );
    assert_eq!(s[0]["dtype"], J::from("uint16"));
    assert_eq!(s[0]["sha256"].as_str().unwrap(), z1.sha256_hex());
    assert_eq!(s[1]["sha256"].as_str().unwrap(), z2.sha256_hex());
    assert_eq!(s[2]["sha256"].as_str().unwrap(), after.sha256_hex());
    assert_eq!(s[3]["dtype"], J::from("float32"));
    let mut rf = open_read(path.as_path(), Options::new()).unwrap();
    assert_eq!(rf.read(Index::At(0)).unwrap(), z1);
    assert_eq!(rf.read(Index::At(1)).unwrap(), z2);
    assert_eq!(rf.read(Index::At(2)).unwrap(), after);
    assert_eq!(rf.read(Index::At(3)).unwrap().shape(), &[0, 5]);

    // what tifffile refuses: compressed / tiled empty series; a shape that does not match data
    for (o, msg) in [
        (
            Options::new().with("compression", "zlib"),
            "cannot write an empty",
        ),
        (
            Options::new().with("tile", list(&[16, 16])),
            "cannot write an empty",
        ),
    ] {
        let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
        let mut o = o;
        o.extend(TiffWriteOptions::new().empty(&[64, 64], DType::U8).into());
        let e = f.write_with_options(&empty_u8(), None, o).unwrap_err();
        assert!(e.to_string().contains(msg), "{e}");
    }
    let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
    let e = f
        .write_with_options(&after, None, Options::new().with("shape", list(&[5, 5])))
        .unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}

#[test]
fn append_and_exclusive_modes_use_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    let a = noise_u8(&[20, 30], 1);
    let b = u16_ramp(&[2, 12, 14], 2);
    // a member of a zip file: `x` sees that it exists; `r+` appends to the member (the core
    // rewrites the archive with the member replaced and the other entries kept)
    let zip = dir.path().join("stack.zip");
    let member = format!("{}/inner.tif", zip.display());
    let mut f = open_write(member.as_str(), Options::new()).unwrap();
    f.write(&a).unwrap();
    f.close().unwrap();
    let mut r = open_read(member.as_str(), Options::new()).unwrap();
    assert_eq!(r.read(Index::At(0)).unwrap(), a);
    let e = open_write(member.as_str(), Options::new().with("mode", "x"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("already exists"), "{e}");
    // x on a new member of the same zip works
    let other = format!("{}/other.tif", zip.display());
    let mut f = open_write(other.as_str(), Options::new().with("mode", "x")).unwrap();
    f.write(&a).unwrap();
    f.close().unwrap();
    let mut f = open_write(member.as_str(), Options::new().with("mode", "r+")).unwrap();
    f.write(&b).unwrap();
    f.close().unwrap();
    let mut r = open_read(member.as_str(), Options::new()).unwrap();
    assert_eq!(r.read(Index::At(0)).unwrap(), a);
    assert_eq!(r.read(Index::At(1)).unwrap(), b);
    let mut r = open_read(other.as_str(), Options::new()).unwrap();
    assert_eq!(r.read(Index::At(0)).unwrap(), a, "the other member is kept");

    // r+ on a path is atomic: a failed append leaves the file as it was
    let path: PathBuf = dir.path().join("atomic.tif");
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write(&a).unwrap();
    f.close().unwrap();
    let before = std::fs::read(&path).unwrap();
    let mut f = open_write(path.as_path(), Options::new().with("mode", "r+")).unwrap();
    f.write(&b).unwrap();
    assert!(
        f.write_with_options(&a, None, Options::new().with("predictor", 2i64))
            .is_err()
    );
    assert!(f.close().is_err());
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // r+ on a missing file starts a new one; tifffile reads the appended file
    let fresh = dir.path().join("fresh.tif");
    let mut f = open_write(fresh.as_path(), Options::new().with("mode", "r+")).unwrap();
    f.write(&a).unwrap();
    f.close().unwrap();
    let mut f = open_write(fresh.as_path(), Options::new().with("append", true)).unwrap();
    f.write(&b).unwrap();
    f.close().unwrap();
    let rep = run_checker(std::slice::from_ref(&fresh));
    let r = &rep[&fresh.display().to_string()];
    let s = r["series"].as_array().unwrap();
    assert_eq!(s.len(), 2, "{r}");
    assert_eq!(s[1]["sha256"].as_str().unwrap(), b.sha256_hex());
    // a non-TIFF destination cannot be appended to
    let txt = dir.path().join("text.tif");
    std::fs::write(&txt, b"hello, not a tiff").unwrap();
    let e = open_write(txt.as_path(), Options::new().with("mode", "r+"))
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a TIFF"), "{e}");
    let _ = Mode::Read;
}
