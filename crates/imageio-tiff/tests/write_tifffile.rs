//! Files we write, with every write option, read back by tifffile (xtask/python/check_tiff.py)
//! and by our own reader: same shape, dtype, pixels and metadata.
mod common;

use std::path::{Path, PathBuf};

use common::*;
use imageio_core::{DType, Index, Metadata, Mode, NdArray, Options, Value};
use serde_json::Value as J;

fn lcg(seed: u64, n: usize) -> Vec<u64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s >> 11
        })
        .collect()
}

/// Smooth-ish data so that compression does something.
fn arr(dtype: DType, shape: &[usize], seed: u64) -> NdArray {
    let n: usize = shape.iter().product();
    let r = lcg(seed, n);
    let v = |i: usize| {
        ((i % 97) as u64 * 3 + r[i] % 5) as i64 - if seed.is_multiple_of(2) { 0 } else { 20 }
    };
    match dtype {
        DType::Bool => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| r[i].is_multiple_of(3)).collect())
                .unwrap()
        }
        DType::U8 => NdArray::from_shape_vec(shape, (0..n).map(|i| v(i) as u8).collect()).unwrap(),
        DType::U16 => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| (v(i) * 300) as u16).collect()).unwrap()
        }
        DType::U32 => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| (v(i) * 70000) as u32).collect()).unwrap()
        }
        DType::U64 => NdArray::from_shape_vec(shape, (0..n).map(|i| r[i] << 11).collect()).unwrap(),
        DType::I8 => NdArray::from_shape_vec(shape, (0..n).map(|i| v(i) as i8).collect()).unwrap(),
        DType::I16 => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| (v(i) * -100) as i16).collect()).unwrap()
        }
        DType::I32 => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| (v(i) * -70000) as i32).collect())
                .unwrap()
        }
        DType::I64 => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| -(r[i] as i64)).collect()).unwrap()
        }
        DType::F32 => {
            NdArray::from_shape_vec(shape, (0..n).map(|i| v(i) as f32 / 7.0).collect()).unwrap()
        }
        _ => NdArray::from_shape_vec(shape, (0..n).map(|i| v(i) as f64 / 7.0 - 1e-3).collect())
            .unwrap(),
    }
}

struct Case {
    name: String,
    writes: Vec<(NdArray, Options)>,
    file_opts: Options,
    /// expected (shape, sha256) per series as tifffile reads them
    series: Vec<(Vec<usize>, String)>,
    /// checks on tifffile's report: (json pointer, expected value)
    checks: Vec<(&'static str, J)>,
}

fn case(name: &str, a: NdArray, opts: Options) -> Case {
    let series = vec![(a.shape().to_vec(), a.sha256_hex())];
    Case {
        name: name.into(),
        writes: vec![(a, opts)],
        file_opts: Options::new(),
        series,
        checks: vec![],
    }
}

fn o(pairs: &[(&str, Value)]) -> Options {
    pairs.iter().cloned().collect()
}

fn write_file(dir: &Path, c: &Case) -> PathBuf {
    let path = dir.join(format!("{}.tif", c.name));
    let mut first = c.file_opts.clone();
    first.extend(c.writes[0].1.clone());
    let mut f = imageio_core::open(path.as_path().into(), Mode::Write, &args(first))
        .unwrap_or_else(|e| panic!("{}: open: {e}", c.name));
    for (i, (a, opts)) in c.writes.iter().enumerate() {
        if i == 0 {
            f.write(a)
                .unwrap_or_else(|e| panic!("{}: write: {e}", c.name));
        } else {
            // later writes with their own options: tifffile's per-write keywords
            drop(f);
            unreachable!("{i} {opts:?}");
        }
    }
    f.close().unwrap();
    path
}

fn num_eq(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-6,
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| num_eq(p, q))
        }
        (x, y) => x == y,
    }
}

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    // default: an (N, H, W, C) array is one shaped series
    let mut c = case(
        "default_nhwc",
        arr(DType::U8, &[4, 16, 20, 3], 1),
        Options::new(),
    );
    c.checks = vec![
        ("/is_shaped", J::Bool(true)),
        ("/series/0/axes", J::from("QYXS")),
        ("/page0/photometric", J::from(2)),
    ];
    v.push(c);
    for d in DType::ALL {
        v.push(case(
            &format!("dtype_{d}"),
            arr(d, &[2, 9, 13], 2),
            Options::new(),
        ));
        let mut c = case(
            &format!("dtype_{d}_be"),
            arr(d, &[9, 13], 3),
            o(&[("byteorder", ">".into())]),
        );
        c.checks = vec![("/byteorder", J::from(">"))];
        v.push(c);
    }
    for comp in ["lzw", "zlib", "zstd", "packbits"] {
        let code = match comp {
            "lzw" => 5,
            "zlib" => 8,
            "zstd" => 50000,
            _ => 32773,
        };
        for (d, pred) in [
            (DType::U8, 1),
            (DType::U16, 2),
            (DType::I32, 2),
            (DType::F32, 3),
            (DType::F64, 3),
        ] {
            if comp == "packbits" && pred > 1 {
                continue;
            }
            let shape: &[usize] = if d == DType::U8 {
                &[40, 33, 3]
            } else {
                &[40, 33]
            };
            let mut c = case(
                &format!("comp_{comp}_{d}_p{pred}"),
                arr(d, shape, 4),
                o(&[
                    ("compression", comp.into()),
                    ("predictor", Value::Int(pred)),
                    ("rowsperstrip", 7i64.into()),
                ]),
            );
            c.checks = vec![
                ("/page0/compression", J::from(code)),
                ("/page0/predictor", J::from(pred)),
            ];
            v.push(c);
        }
    }
    let mut c = case(
        "zlib_level_tiled",
        arr(DType::U16, &[3, 50, 70], 5),
        o(&[
            ("compression", "zlib".into()),
            ("level", 9i64.into()),
            ("tile", vec![32i64, 16].into()),
            ("photometric", "minisblack".into()),
        ]),
    );
    c.checks = vec![
        ("/page0/tilewidth", J::from(16)),
        ("/page0/tilelength", J::from(32)),
        ("/page0/compression", J::from(8)),
    ];
    v.push(c);
    let mut c = case(
        "planar_rgb",
        arr(DType::U16, &[3, 20, 24], 6),
        o(&[
            ("photometric", "rgb".into()),
            ("planarconfig", "separate".into()),
        ]),
    );
    c.checks = vec![
        ("/page0/planarconfig", J::from(2)),
        ("/series/0/axes", J::from("SYX")),
    ];
    v.push(c);
    let mut c = case(
        "planar_rgb_tiled_lzw",
        arr(DType::U8, &[3, 40, 40], 6),
        o(&[
            ("photometric", "rgb".into()),
            ("planarconfig", "separate".into()),
            ("tile", vec![16i64, 32].into()),
            ("compression", "lzw".into()),
            ("predictor", true.into()),
        ]),
    );
    c.checks = vec![
        ("/page0/planarconfig", J::from(2)),
        ("/page0/predictor", J::from(2)),
    ];
    v.push(c);
    let mut c = case(
        "bigtiff",
        arr(DType::F32, &[2, 17, 19], 7),
        o(&[
            ("bigtiff", true.into()),
            ("photometric", "minisblack".into()),
        ]),
    );
    c.checks = vec![("/is_bigtiff", J::Bool(true))];
    v.push(c);
    let mut c = case(
        "bits12",
        arr(DType::U16, &[9, 11], 8).mapv_u16(|x| x % 4096),
        o(&[("bitspersample", 12i64.into())]),
    );
    c.checks = vec![("/page0/bitspersample", J::from(12))];
    v.push(c);
    let mut c = case(
        "bits4",
        arr(DType::U8, &[9, 11], 8).mapv_u8(|x| x % 16),
        o(&[("bitspersample", 4i64.into())]),
    );
    c.checks = vec![("/page0/bitspersample", J::from(4))];
    v.push(c);
    let mut c = case(
        "volumetric_tiled",
        arr(DType::U16, &[5, 32, 48], 9),
        o(&[
            ("volumetric", true.into()),
            ("tile", vec![2i64, 16, 16].into()),
            ("compression", "zlib".into()),
            ("photometric", "minisblack".into()),
        ]),
    );
    c.checks = vec![
        ("/page0/imagedepth", J::from(5)),
        ("/series/0/axes", J::from("ZYX")),
    ];
    v.push(c);
    let mut c = case(
        "miniswhite",
        arr(DType::U8, &[9, 11], 10),
        o(&[("photometric", "miniswhite".into())]),
    );
    c.checks = vec![("/page0/photometric", J::from(0))];
    v.push(c);
    let cmap: Vec<Value> = (0..768).map(|i| Value::Int((i * 85) % 65536)).collect();
    let mut c = case(
        "palette",
        arr(DType::U8, &[9, 11], 11),
        o(&[("colormap", Value::List(cmap))]),
    );
    c.checks = vec![
        ("/page0/photometric", J::from(3)),
        ("/page0/colormap/shape", J::from(vec![3, 256])),
    ];
    v.push(c);
    let mut c = case(
        "rgba",
        arr(DType::U8, &[9, 11, 4], 12),
        o(&[("extrasamples", Value::List(vec!["unassalpha".into()]))]),
    );
    c.checks = vec![("/page0/extrasamples", J::from(vec![2]))];
    v.push(c);
    // the documented numeric forms: TIFF codes as integers (tifffile accepts them too)
    let mut c = case(
        "numeric_codes",
        arr(DType::U16, &[3, 9, 11], 35),
        o(&[
            ("compression", 8.into()),
            ("photometric", 2.into()),
            ("planarconfig", 2.into()),
        ]),
    );
    c.checks = vec![
        ("/page0/compression", J::from(8)),
        ("/page0/photometric", J::from(2)),
        ("/page0/planarconfig", J::from(2)),
    ];
    v.push(c);
    // RGB + one extra sample without `extrasamples`: tifffile's default is unassociated alpha
    // (Pillow and viewers ignore an "unspecified" fourth sample: the alpha would be lost)
    let mut c = case(
        "rgba_default_extrasamples",
        arr(DType::U8, &[9, 11, 4], 33),
        Options::new(),
    );
    c.checks = vec![
        ("/page0/photometric", J::from(2)),
        ("/page0/extrasamples", J::from(vec![2])),
    ];
    v.push(c);
    let mut c = case(
        "rgb_two_extra_default",
        arr(DType::U16, &[5, 6, 5], 34),
        o(&[("photometric", "rgb".into())]),
    );
    c.checks = vec![("/page0/extrasamples", J::from(vec![0, 0]))];
    v.push(c);
    // gray + alpha: with extrasamples tifffile takes the last axis as contiguous samples
    let mut c = case(
        "gray_alpha",
        arr(DType::U8, &[9, 11, 2], 31),
        o(&[
            ("photometric", "minisblack".into()),
            ("extrasamples", Value::List(vec!["unassalpha".into()])),
        ]),
    );
    c.checks = vec![
        ("/page0/photometric", J::from(1)),
        ("/page0/extrasamples", J::from(vec![2])),
    ];
    v.push(c);
    let mut c = case(
        "gray_alpha_u16_default_photometric",
        arr(DType::U16, &[7, 5, 2], 32),
        o(&[("extrasamples", Value::List(vec!["assocalpha".into()]))]),
    );
    c.checks = vec![
        ("/page0/photometric", J::from(1)),
        ("/page0/extrasamples", J::from(vec![1])),
    ];
    v.push(c);
    let mut c = case(
        "cmyk",
        arr(DType::U8, &[9, 11, 4], 13),
        o(&[("photometric", "separated".into())]),
    );
    c.checks = vec![("/page0/photometric", J::from(5))];
    v.push(c);
    // metadata tags
    let mut c = case(
        "tags",
        arr(DType::U8, &[2, 3, 10, 10], 14),
        o(&[
            ("description", "shape=(2,3,10,10)".into()),
            ("software", "my software".into()),
            ("datetime", "2015:05:09 09:08:29".into()),
            ("resolution", Value::List(vec![72.0.into(), 36.0.into()])),
            ("resolutionunit", "centimeter".into()),
            (
                "iccprofile",
                Value::Bytes(b"not really an icc profile".to_vec()),
            ),
            ("subfiletype", 0i64.into()),
            (
                "extratags",
                Value::List(vec![
                    Value::List(vec![
                        65000i64.into(),
                        "s".into(),
                        0i64.into(),
                        "hello extratag".into(),
                        true.into(),
                    ]),
                    Value::List(vec![
                        65001i64.into(),
                        3i64.into(),
                        2i64.into(),
                        Value::List(vec![7i64.into(), 9i64.into()]),
                        false.into(),
                    ]),
                ]),
            ),
        ]),
    );
    c.checks = vec![
        ("/page0/description", J::from("shape=(2,3,10,10)")),
        ("/page0/software", J::from("my software")),
        ("/page0/datetime", J::from("2015:05:09 09:08:29")),
        ("/page0/resolution", J::from(vec![72.0, 36.0])),
        ("/page0/resolutionunit", J::from(3)),
        ("/page0/iccprofile/len", J::from(25)),
        ("/page0/tags/65000", J::from("hello extratag")),
        ("/page0/tags/65001", J::from(vec![7, 9])),
    ];
    v.push(c);
    // ImageJ hyperstack
    let luts =
        NdArray::from_shape_vec(&[3, 256], (0..768).map(|i| (i % 256) as u8).collect()).unwrap();
    let mut meta = Metadata::new();
    meta.insert("axes".into(), "TZCYX".into());
    meta.insert("spacing".into(), 2.5.into());
    meta.insert("unit".into(), "um".into());
    meta.insert("finterval".into(), 0.5.into());
    meta.insert(
        "Labels".into(),
        Value::List((0..12).map(|i| Value::Str(format!("label{i}"))).collect()),
    );
    meta.insert(
        "Ranges".into(),
        Value::List(vec![0.0.into(), 100.0.into(), 5.0.into(), 50.0.into()]),
    );
    meta.insert(
        "LUTs".into(),
        Value::List(vec![Value::Array(luts.clone()), Value::Array(luts)]),
    );
    let mut c = case(
        "imagej",
        arr(DType::U16, &[2, 3, 2, 10, 12], 15),
        o(&[
            ("imagej", true.into()),
            ("metadata", Value::Map(meta)),
            ("resolution", Value::List(vec![4.0.into(), 4.0.into()])),
        ]),
    );
    c.checks = vec![
        ("/is_imagej", J::Bool(true)),
        ("/series/0/axes", J::from("TZCYX")),
        ("/imagej/spacing", J::from(2.5)),
        ("/imagej/unit", J::from("um")),
        ("/imagej/finterval", J::from(0.5)),
        ("/imagej/Labels/11", J::from("label11")),
        ("/imagej/Ranges", J::from(vec![0.0, 100.0, 5.0, 50.0])),
        ("/imagej/LUTs/1/shape", J::from(vec![3, 256])),
        ("/page0/resolution", J::from(vec![4.0, 4.0])),
    ];
    v.push(c);
    let mut c = case(
        "imagej_rgb",
        arr(DType::U8, &[3, 10, 12, 3], 16),
        o(&[("imagej", true.into())]),
    );
    c.checks = vec![
        ("/is_imagej", J::Bool(true)),
        ("/series/0/axes", J::from("CYXS")),
    ];
    v.push(c);
    // OME
    let mut meta = Metadata::new();
    meta.insert("axes".into(), "ZCYX".into());
    meta.insert("PhysicalSizeX".into(), 0.5.into());
    meta.insert("PhysicalSizeY".into(), 0.25.into());
    meta.insert("PhysicalSizeZ".into(), 2.0.into());
    let mut c = case(
        "ome",
        arr(DType::U16, &[2, 3, 10, 12], 17),
        o(&[("ome", true.into()), ("metadata", Value::Map(meta))]),
    );
    c.checks = vec![
        ("/is_ome", J::Bool(true)),
        ("/series/0/axes", J::from("ZCYX")),
        ("/ome/0/PhysicalSizeX", J::from("0.5")),
        ("/ome/0/PhysicalSizeY", J::from("0.25")),
        ("/ome/0/PhysicalSizeZ", J::from("2")),
    ];
    v.push(c);
    // options that change layout only
    let mut c = case(
        "rowsperstrip_align",
        arr(DType::I16, &[21, 13], 18),
        o(&[("rowsperstrip", 4i64.into()), ("align", 4096i64.into())]),
    );
    c.checks = vec![("/page0/rowsperstrip", J::from(4))];
    v.push(c);
    v.push(case(
        "maxworkers1",
        arr(DType::U8, &[64, 64, 3], 19),
        o(&[
            ("compression", "zlib".into()),
            ("maxworkers", 1i64.into()),
            ("rowsperstrip", 8i64.into()),
            ("returnoffset", true.into()),
        ]),
    ));
    let mut c = case(
        "truncate",
        arr(DType::U16, &[5, 16, 12], 20),
        o(&[("truncate", true.into())]),
    );
    c.checks = vec![("/n_pages", J::from(1))];
    v.push(c);
    let mut c = case(
        "no_metadata",
        arr(DType::U8, &[16, 12], 21),
        o(&[("metadata", "none".into())]),
    );
    c.checks = vec![("/is_shaped", J::Bool(false))];
    v.push(c);
    v
}

trait MapV {
    fn mapv_u16(self, f: fn(u16) -> u16) -> NdArray;
    fn mapv_u8(self, f: fn(u8) -> u8) -> NdArray;
}
impl MapV for NdArray {
    fn mapv_u16(self, f: fn(u16) -> u16) -> NdArray {
        NdArray::from(self.into_array::<u16>().unwrap().mapv(f))
    }
    fn mapv_u8(self, f: fn(u8) -> u8) -> NdArray {
        NdArray::from(self.into_array::<u8>().unwrap().mapv(f))
    }
}

#[test]
fn tifffile_reads_what_we_write_with_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let files: Vec<PathBuf> = cases.iter().map(|c| write_file(dir.path(), c)).collect();
    let rep = run_checker(&files);
    let mut failures = Vec::new();
    for (c, f) in cases.iter().zip(&files) {
        let r = &rep[&f.display().to_string()];
        if let Some(e) = r.get("error") {
            failures.push(format!("{}: tifffile: {e}", c.name));
            continue;
        }
        let series = r["series"].as_array().unwrap();
        if series.len() != c.series.len() {
            failures.push(format!(
                "{}: tifffile sees {} series, want {}",
                c.name,
                series.len(),
                c.series.len()
            ));
            continue;
        }
        for (k, (shape, sha)) in c.series.iter().enumerate() {
            let s = &series[k];
            let got: Vec<usize> = s["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .collect();
            if &got != shape || s["sha256"].as_str() != Some(sha) {
                failures.push(format!(
                    "{}: series {k}: tifffile reads {:?} {} (pixels equal: {}), want {shape:?}",
                    c.name,
                    got,
                    s["dtype"],
                    s["sha256"].as_str() == Some(sha)
                ));
            }
        }
        for (ptr, want) in &c.checks {
            match r.pointer(ptr) {
                Some(got) if num_eq(got, want) => {}
                got => failures.push(format!("{}: {ptr} = {got:?}, want {want}", c.name)),
            }
        }
        // and our own reader agrees
        let mut rf = open_read(f.as_path(), Options::new()).unwrap();
        for (k, (shape, sha)) in c.series.iter().enumerate() {
            match rf.read(Index::At(k)) {
                Ok(a) if a.shape() == shape.as_slice() && &a.sha256_hex() == sha => {}
                Ok(a) => failures.push(format!(
                    "{}: our reader: series {k} {:?} {}",
                    c.name,
                    a.shape(),
                    a.dtype()
                )),
                Err(e) => failures.push(format!("{}: our reader: {e}", c.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
