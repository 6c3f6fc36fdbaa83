//! JPEG-compressed TIFFs we write, decoded by tifffile/imagecodecs (libjpeg-turbo): PSNR at
//! quality 90, YCbCr subsampling tags, JPEGTables, and the combinations tifffile refuses.
mod common;

use std::path::PathBuf;

use common::*;
use imageio_core::{Index, NdArray, Options, Resource, Value};
use serde_json::Value as J;

/// A standard grayscale image with natural content (a crop of the FEI-SEM micrograph).
fn sem_crop() -> NdArray {
    let p = imageio_core::standard::resolve("fei-sem-rbc.tif").unwrap();
    let mut r = open_read(p.as_path(), Options::new()).unwrap();
    let a = r.read(Index::Default).unwrap();
    let a = a.as_array::<u8>().unwrap();
    let crop = a
        .slice(ndarray::s![100..420, 200..600])
        .to_owned()
        .into_dyn();
    NdArray::from(crop)
}

/// (name, data, options, expected YCbCrSubSampling or None, photometric tag)
type Case = (&'static str, NdArray, Options, Option<Vec<i64>>, i64);

#[test]
fn tifffile_decodes_our_jpeg_tiffs_at_psnr_38() {
    let dir = tempfile::tempdir().unwrap();
    let rgb = photo(300, 452);
    let gray = sem_crop();
    let q90 = || {
        Options::new()
            .with("compression", "jpeg")
            .with("level", 90i64)
    };
    // (name, data, options, expected YCbCrSubSampling or None, photometric tag); the same
    // options are given to tifffile for the reference PSNR
    let cases: Vec<Case> = vec![
        ("rgb_default", rgb.clone(), q90(), Some(vec![2, 2]), 6),
        (
            "rgb_444_tiled",
            rgb.clone(),
            q90()
                .with("subsampling", Value::List(vec![1i64.into(), 1i64.into()]))
                .with("tile", Value::List(vec![64i64.into(), 128i64.into()])),
            Some(vec![1, 1]),
            6,
        ),
        (
            "rgb_422_strips",
            rgb.clone(),
            q90()
                .with("subsampling", Value::List(vec![2i64.into(), 1i64.into()]))
                .with("rowsperstrip", 20i64),
            Some(vec![2, 1]),
            6,
        ),
        (
            "gray",
            gray.clone(),
            q90().with("rowsperstrip", 64i64),
            None,
            1,
        ),
        (
            // planar RGB: each plane a grayscale JPEG, photometric stays RGB (tifffile)
            "rgb_planar",
            planar(&rgb),
            q90()
                .with("photometric", "rgb")
                .with("planarconfig", "separate"),
            None,
            2,
        ),
        (
            "rgb_maxworkers_buffersize",
            rgb.clone(),
            q90()
                .with("rowsperstrip", 16i64)
                .with("maxworkers", 2i64)
                .with("buffersize", 50_000i64),
            Some(vec![2, 2]),
            6,
        ),
    ];
    let mut files: Vec<PathBuf> = Vec::new();
    for (name, a, o, _, _) in &cases {
        let path = dir.path().join(format!("{name}.tif"));
        let mut f = open_write(path.as_path(), Options::new()).unwrap();
        f.write_with_options(a, None, o.clone())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        f.close().unwrap();
        files.push(path);
    }
    // tifffile's own JPEG TIFFs of the same pixels with the same options: the reference
    let spec: Vec<J> = cases
        .iter()
        .zip(&files)
        .map(|((_, a, o, _, _), path)| {
            let raw = format!("{}.orig.raw", path.display());
            std::fs::write(&raw, a.to_le_bytes()).unwrap();
            let mut kw = serde_json::Map::new();
            kw.insert("compressionargs".into(), serde_json::json!({"level": 90}));
            for k in ["subsampling", "tile", "rowsperstrip", "planarconfig"] {
                if let Some(v) = o.get(k) {
                    kw.insert(k.into(), v.to_json());
                }
            }
            if a.ndim() == 3 {
                kw.insert("photometric".into(), J::from("rgb"));
            }
            serde_json::json!({"raw": raw, "shape": a.shape(), "kwargs": kw})
        })
        .collect();
    let out = check_tiff_spec(
        "--jpeg-reference",
        &dir.path().join("jpeg_spec.json"),
        &spec.into(),
    );
    let reference: Vec<J> = serde_json::from_str(&out).unwrap();

    let rep = run_checker_dump(&files, true);
    for (((name, a, _, ss, photometric), path), refr) in cases.iter().zip(&files).zip(&reference) {
        let r = &rep[&path.display().to_string()];
        assert!(r.get("error").is_none(), "{name}: {r}");
        let s = &r["series"][0];
        assert_eq!(s["shape"], J::from(a.shape().to_vec()), "{name}");
        assert_eq!(s["dtype"], J::from("uint8"), "{name}");
        assert_eq!(s["page"]["compression"], J::from(7), "{name}");
        assert_eq!(s["page"]["photometric"], J::from(*photometric), "{name}");
        if let Some(ss) = ss {
            assert_eq!(s["page"]["subsampling"], J::from(ss.clone()), "{name}");
        }
        let decoded = std::fs::read(format!("{}.s0.raw", path.display())).unwrap();
        let p = psnr(&a.to_le_bytes(), &decoded, 255.0);
        let p_ref = refr["psnr"].as_f64().unwrap();
        let size = std::fs::metadata(path).unwrap().len();
        eprintln!(
            "{name}: PSNR {p:.2} dB, {size} bytes; tifffile's own JPEG: {p_ref:.2} dB, {} bytes",
            refr["size"]
        );
        // as good as libjpeg under tifffile with the same settings, and >= 38 dB on the photo
        assert!(
            p >= p_ref - 0.3,
            "{name}: PSNR {p:.2} dB vs tifffile's {p_ref:.2}"
        );
        if a.ndim() == 3 {
            assert!(p >= 38.0, "{name}: PSNR {p:.2} dB < 38");
        }
        // and our reader (zune-jpeg) decodes it to nearly the same pixels
        let ours = open_read(path.as_path(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap();
        assert_eq!(ours.shape(), a.shape());
        let p2 = psnr(&ours.to_le_bytes(), &decoded, 255.0);
        assert!(p2 >= 40.0, "{name}: our decode vs libjpeg PSNR {p2:.2}");
    }
}

#[test]
fn jpegtables_are_written_verbatim_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    // a tables-only JPEG stream: SOI, the standard luminance DQT at quality 50, EOI
    let mut tables = vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00];
    tables.extend_from_slice(&[
        16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49, 35,
        37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56, 80,
        109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99,
    ]);
    tables.extend_from_slice(&[0xFF, 0xD9]);
    let gray = sem_crop();
    let path = dir.path().join("tables.tif");
    let mut f = open_write(path.as_path(), Options::new()).unwrap();
    f.write_with_options(
        &gray,
        None,
        Options::new()
            .with("compression", "jpeg")
            .with("level", 95i64)
            .with("jpegtables", Value::Bytes(tables.clone())),
    )
    .unwrap();
    f.close().unwrap();
    let rep = run_checker_dump(std::slice::from_ref(&path), true);
    let r = &rep[&path.display().to_string()];
    assert!(r.get("error").is_none(), "{r}");
    assert_eq!(
        r["series"][0]["page"]["jpegtables"]["len"],
        J::from(tables.len())
    );
    let decoded = std::fs::read(format!("{}.s0.raw", path.display())).unwrap();
    assert!(psnr(&gray.to_le_bytes(), &decoded, 255.0) >= 38.0);

    // what tifffile refuses (or what JPEG cannot hold) is an error
    let rgb = photo(64, 64);
    let u16img = NdArray::from_shape_vec(&[16, 16], vec![7u16; 256]).unwrap();
    let rgba = noise_u8(&[16, 16, 4], 1);
    for (a, o, msg) in [
        (&u16img, Options::new(), "needs uint8"),
        (&rgb, Options::new().with("predictor", true), "predictor"),
        (&rgba, Options::new(), "grayscale or RGB"),
        (
            &rgb,
            Options::new().with("subsampling", Value::List(vec![3i64.into(), 1i64.into()])),
            "invalid subsampling",
        ),
        (
            &rgb,
            Options::new()
                .with("subsampling", Value::List(vec![4i64.into(), 1i64.into()]))
                .with("tile", Value::List(vec![16i64.into(), 16i64.into()])),
            "multiple of 32",
        ),
        (&rgb, Options::new().with("level", 0i64), "1..100"),
    ] {
        let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
        let mut o = o;
        o.set("compression", "jpeg");
        let e = f.write_with_options(a, None, o).unwrap_err().to_string();
        assert!(e.contains(msg), "{msg}: {e}");
    }
    let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
    let e = f
        .write_with_options(
            &rgb,
            None,
            Options::new().with("subsampling", Value::List(vec![2i64.into(), 2i64.into()])),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("JPEG compression only"), "{e}");
}
