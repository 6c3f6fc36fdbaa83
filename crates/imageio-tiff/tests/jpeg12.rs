//! 12-bit JPEG in TIFF (uint16 data with `bitspersample=12`, like tifffile/imagecodecs).
//!
//! With the `turbo` feature (libjpeg-turbo 3.1): our files are read by tifffile with the tags
//! tifffile writes for the same data and options, PSNR >= 38 dB and exactly the pixels of
//! tifffile's own file of the same call, and read back by us to exactly those pixels; values past 4095 and
//! what 12-bit JPEG cannot hold are errors; hostile 12-bit JPEG TIFFs are errors, never panics.
//! (tifffile's own 12-bit JPEG TIFFs are in fixtures/tiff/manifest.json, tests/tifffile_fixtures.rs.)
//!
//! Without the feature: reading and writing 12-bit JPEG are refused with an error naming it.
mod common;

use common::*;
use imageio_core::{Index, NdArray, Options, Resource};

#[cfg(feature = "turbo")]
mod turbo {
    use super::*;
    use serde_json::Value as J;
    use std::path::PathBuf;

    /// (name, data, our options = tifffile's keyword arguments)
    type Case = (&'static str, NdArray, Options);

    #[test]
    fn tifffile_reads_our_12bit_jpeg_tiffs_like_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let gray = photo12(200, 300, 1);
        let rgb = photo12(200, 300, 3);
        let planar = planar(&rgb);
        let j12 = || {
            Options::new()
                .with("compression", "jpeg")
                .with("bitspersample", 12i64)
        };
        let cases: Vec<Case> = vec![
            (
                "gray_strips",
                gray.clone(),
                j12().with("rowsperstrip", 64i64),
            ),
            ("gray_default", gray.clone(), j12()),
            (
                "gray_tiled_q90",
                gray.clone(),
                j12().with("level", 90i64).with("tile", list(&[64, 128])),
            ),
            ("rgb_default", rgb.clone(), j12().with("photometric", "rgb")),
            (
                "rgb_444_tiled_q90",
                rgb.clone(),
                j12()
                    .with("photometric", "rgb")
                    .with("level", 90i64)
                    .with("subsampling", list(&[1, 1]))
                    .with("tile", list(&[64, 64])),
            ),
            (
                "rgb_422_strips_q95",
                rgb.clone(),
                j12()
                    .with("photometric", "rgb")
                    .with("level", 95i64)
                    .with("subsampling", list(&[2, 1]))
                    .with("rowsperstrip", 32i64),
            ),
            (
                "rgb_planar",
                planar,
                j12()
                    .with("photometric", "rgb")
                    .with("planarconfig", "separate"),
            ),
        ];
        let mut ours: Vec<PathBuf> = Vec::new();
        let mut spec = Vec::new();
        for (name, a, o) in &cases {
            let path = dir.path().join(format!("{name}.tif"));
            let mut f = open_write(path.as_path(), Options::new()).unwrap();
            f.write_with_options(a, None, o.clone())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            f.close().unwrap();
            // tifffile writes the same pixels with the same keyword arguments
            let raw = dir.path().join(format!("{name}.orig.raw"));
            std::fs::write(&raw, a.to_le_bytes()).unwrap();
            let mut kw = serde_json::Map::new();
            for (k, v) in o.iter() {
                match k {
                    "level" => {
                        kw.insert(
                            "compressionargs".into(),
                            serde_json::json!({"level": v.to_json()}),
                        );
                    }
                    _ => {
                        kw.insert(k.to_owned(), v.to_json());
                    }
                }
            }
            let theirs = dir.path().join(format!("{name}.tifffile.tif"));
            spec.push(
                serde_json::json!({"raw": raw, "dtype": "uint16", "shape": a.shape(),
                "kwargs": kw, "out": theirs}),
            );
            ours.push(path);
        }
        tifffile_write(dir.path(), spec);
        let theirs: Vec<PathBuf> = ours
            .iter()
            .map(|p| p.with_extension("tifffile.tif"))
            .collect();
        let all: Vec<PathBuf> = ours.iter().chain(&theirs).cloned().collect();
        let rep = run_checker_dump(&all, true);
        let mut identical = 0;
        for (((name, a, _), path), tpath) in cases.iter().zip(&ours).zip(&theirs) {
            let r = &rep[&path.display().to_string()];
            let t = &rep[&tpath.display().to_string()];
            assert!(r.get("error").is_none(), "{name}: {r}");
            assert!(t.get("error").is_none(), "{name} (tifffile): {t}");
            let s = &r["series"][0];
            assert_eq!(s["shape"], J::from(a.shape().to_vec()), "{name}");
            assert_eq!(s["dtype"], J::from("uint16"), "{name}");
            // the tags tifffile writes for the same call
            for code in [
                "256", "257", "258", "259", "262", "277", "278", "284", "322", "323", "530", "532",
                "347",
            ] {
                assert_eq!(
                    r["page0"]["tags"].get(code),
                    t["page0"]["tags"].get(code),
                    "{name}: tag {code}"
                );
            }
            assert_eq!(r["page0"]["bitspersample"], J::from(12), "{name}");
            let src = u16s(&a.to_le_bytes());
            let dec = u16s(&std::fs::read(format!("{}.s0.raw", path.display())).unwrap());
            let tdec = u16s(&std::fs::read(format!("{}.s0.raw", tpath.display())).unwrap());
            let (p, p_ref) = (psnr(&src, &dec, 4095.0), psnr(&src, &tdec, 4095.0));
            let (size, tsize) = (
                std::fs::metadata(path).unwrap().len(),
                std::fs::metadata(tpath).unwrap().len(),
            );
            eprintln!(
                "{name}: PSNR {p:.2} dB, {size} bytes; tifffile's own: {p_ref:.2} dB, {tsize} \
                 bytes; same pixels: {}",
                dec == tdec
            );
            identical += usize::from(dec == tdec);
            // the same library, quality, subsampling and tables on both sides: tifffile decodes
            // our file to exactly the pixels of its own file
            assert!(
                dec == tdec,
                "{name}: pixels differ from tifffile's own file"
            );
            assert!(p >= 38.0, "{name}: PSNR {p:.2} dB < 38");
            assert!(
                p >= p_ref - 0.3,
                "{name}: PSNR {p:.2} dB vs tifffile's {p_ref:.2}"
            );
            // our reader: exactly tifffile's pixels (libjpeg-turbo on both sides), for our file
            // and for tifffile's
            for (file, want) in [(path, &dec), (tpath, &tdec)] {
                let got = open_read(file.as_path(), Options::new())
                    .unwrap()
                    .read(Index::Default)
                    .unwrap();
                assert_eq!(got.shape(), a.shape(), "{name}");
                assert!(
                    &u16s(&got.to_le_bytes()) == want,
                    "{name}: our decode of {} differs from tifffile's",
                    file.display()
                );
            }
        }
        eprintln!(
            "{identical} of {} files decode to tifffile's own pixels",
            cases.len()
        );
    }

    #[test]
    fn twelve_bit_refusals() {
        let img = |v: u16| NdArray::from_shape_vec(&[16, 16], vec![v; 256]).unwrap();
        let rgb = photo12(32, 32, 3);
        for (a, o, msg) in [
            // never silently clipped
            (
                img(4096),
                Options::new().with("bitspersample", 12i64),
                "0..4095",
            ),
            (
                img(65535),
                Options::new().with("bitspersample", 12i64),
                "0..4095",
            ),
            // uint16 JPEG needs bitspersample=12
            (img(7), Options::new(), "needs uint8"),
            (
                img(7),
                Options::new().with("bitspersample", 16i64),
                "needs uint8",
            ),
            (
                rgb.clone(),
                Options::new()
                    .with("bitspersample", 12i64)
                    .with("photometric", "ycbcr"),
                "photometric ycbcr",
            ),
            (
                rgb.clone(),
                Options::new()
                    .with("bitspersample", 12i64)
                    .with("photometric", "rgb")
                    .with("predictor", true),
                "predictor",
            ),
        ] {
            let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
            let mut o = o;
            o.set("compression", "jpeg");
            let e = f.write_with_options(&a, None, o).unwrap_err().to_string();
            assert!(e.contains(msg), "{msg}: {e}");
        }
        // 4095 is the largest value: accepted, and gray JPEG keeps a flat image exact
        let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
        f.write_with_options(
            &img(4095),
            None,
            Options::new()
                .with("compression", "jpeg")
                .with("bitspersample", 12i64),
        )
        .unwrap();
        let bytes = f.close().unwrap().unwrap();
        let back = open_read(bytes.as_slice(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap();
        assert_eq!(u16s(&back.to_le_bytes()), vec![4095u16; 256]);
    }

    /// tifffile's 12-bit tiles with shared JPEGTables (fixture jpeg12_rgb_tables.tif), copied
    /// with `segments` + `jpegtables` (JPEGTables written verbatim, as for 8-bit): tifffile and
    /// we decode the copy to the fixture's manifest pixels.
    #[test]
    fn jpegtables_and_12bit_segments_copied_verbatim() {
        use imageio_core::{DType, Value};
        use imageio_tiff::TiffWriteOptions;
        let name = "jpeg12_rgb_tables.tif";
        let good = std::fs::read(fixture(name)).unwrap();
        let mut r = open_read(good.as_slice(), Options::new()).unwrap();
        let m = r.metadata(Index::Default, false).unwrap();
        let ints = |k: &str| -> Vec<usize> {
            match &m[k] {
                Value::List(l) => l.iter().map(|v| v.as_int().unwrap() as usize).collect(),
                Value::Int(i) => vec![*i as usize],
                o => panic!("{k}: {o:?}"),
            }
        };
        let tables = m["JPEGTables"]
            .as_bytes()
            .expect("JPEGTables bytes")
            .to_vec();
        let segs: Vec<Vec<u8>> = ints("TileOffsets")
            .into_iter()
            .zip(ints("TileByteCounts"))
            .map(|(o, n)| good[o..o + n].to_vec())
            .collect();
        assert_eq!(segs.len(), 4);
        let want = imageio_testutil::manifest("tiff")["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["file"] == name)
            .unwrap()["sha256"]
            .as_str()
            .unwrap()
            .to_owned();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.tif");
        let mut f = open_write(path.as_path(), Options::new()).unwrap();
        let o = TiffWriteOptions::new()
            .empty(&[48, 64, 3], DType::U16)
            .compression("jpeg")
            .set("bitspersample", 12i64)
            .photometric("rgb")
            .tile(32, 32)
            .jpegtables(tables.clone())
            .segment_bytes(segs);
        f.write_with_options(&NdArray::zeros(DType::U16, &[0]), None, o)
            .unwrap();
        f.close().unwrap();
        let rep = run_checker(std::slice::from_ref(&path));
        let r = &rep[&path.display().to_string()];
        assert!(r.get("error").is_none(), "{r}");
        let s = &r["series"][0];
        assert_eq!(s["sha256"], serde_json::Value::from(want.clone()));
        assert_eq!(
            s["page"]["jpegtables"]["len"],
            serde_json::Value::from(tables.len())
        );
        assert_eq!(r["page0"]["bitspersample"], serde_json::Value::from(12));
        let ours = open_read(path.as_path(), Options::new())
            .unwrap()
            .read(Index::Default)
            .unwrap();
        assert_eq!(ours.sha256_hex(), want);
    }

    /// Offsets of the first strip/tile of a (little-endian, classic) TIFF fixture.
    fn first_segment(tif: &[u8]) -> std::ops::Range<usize> {
        let mut r = open_read(tif, Options::new()).unwrap();
        let m = r.metadata(Index::Default, false).unwrap();
        let get = |k: &str| -> usize {
            let v = m.get(k).unwrap_or_else(|| panic!("no {k} in {m:?}"));
            match v {
                imageio_core::Value::List(l) => l[0].as_int().unwrap() as usize,
                imageio_core::Value::Int(i) => *i as usize,
                o => panic!("{k}: {o:?}"),
            }
        };
        let (o, n) = if m.contains_key("TileOffsets") {
            (get("TileOffsets"), get("TileByteCounts"))
        } else {
            (get("StripOffsets"), get("StripByteCounts"))
        };
        o..o + n
    }

    #[test]
    fn hostile_12bit_jpeg_tiffs_are_errors() {
        let read = |d: &[u8]| -> imageio_core::Result<NdArray> {
            open_read(d, Options::new())?.read(Index::Default)
        };
        for name in [
            "jpeg12_gray.tif",
            "jpeg12_rgb_tiled.tif",
            "jpeg12_rgb_tables.tif",
            "jpeg12_rgb_422.tif",
        ] {
            let good = std::fs::read(fixture(name)).unwrap();
            read(&good).unwrap();
            for (what, d) in imageio_testutil::hostile::truncations(&good, 60) {
                let _ = imageio_testutil::hostile::no_panic(&format!("{name} {what}"), &d, read);
            }
            for (what, d) in imageio_testutil::hostile::bit_flips(&good, 300, 12) {
                let _ = imageio_testutil::hostile::no_panic(&format!("{name} {what}"), &d, read);
            }
            // every byte of the first JPEG stream truncated or flipped: errors or pixels, never
            // a panic (libjpeg-turbo's errors come back as Error::decoding)
            let seg = first_segment(&good);
            let mut errors = 0;
            for i in seg.clone() {
                let mut d = good.clone();
                d[i] ^= 0xFF;
                if imageio_testutil::hostile::no_panic(name, &d, read).is_err() {
                    errors += 1;
                }
            }
            assert!(errors > 0, "{name}: no corrupted byte was an error");
            // an absurd frame size in the JPEG header (SOF1, 12-bit extended): an error
            let g = &good[seg.clone()];
            let sof = g
                .windows(2)
                .position(|w| w == [0xFF, 0xC1] || w == [0xFF, 0xC0])
                .unwrap_or_else(|| panic!("{name}: no SOF"));
            let mut d = good.clone();
            let at = seg.start + sof + 5; // marker, length (2), precision (1), height, width
            d[at..at + 4].copy_from_slice(&[0x7F, 0xF0, 0x7F, 0xF0]);
            let e = read(&d).unwrap_err().to_string();
            assert!(e.contains("does not fit"), "{name}: {e}");
            // a frame of 8-bit precision in a 12-bit TIFF: an error
            let mut d = good.clone();
            assert_eq!(d[seg.start + sof + 4], 12, "{name}: precision byte");
            d[seg.start + sof + 4] = 8;
            assert!(read(&d).is_err(), "{name}: 8-bit frame accepted");
        }
    }
}

#[cfg(not(feature = "turbo"))]
#[test]
fn twelve_bit_jpeg_is_refused_naming_the_feature() {
    let a = photo12(32, 48, 3);
    let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
    let e = f
        .write_with_options(
            &a,
            None,
            Options::new()
                .with("compression", "jpeg")
                .with("bitspersample", 12i64)
                .with("photometric", "rgb"),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("tiff-turbo") && e.contains("`turbo`"), "{e}");
    for name in ["jpeg12_gray.tif", "jpeg12_rgb_tables.tif"] {
        let mut r = open_read(fixture(name).as_path(), Options::new()).unwrap();
        // the page is described (uint16), but its pixels need libjpeg-turbo
        let p = r.properties(Index::Default).unwrap();
        assert_eq!(p.dtype, imageio_core::DType::U16);
        let e = r.read(Index::Default).unwrap_err().to_string();
        assert!(e.contains("tiff-turbo"), "{name}: {e}");
    }
    // uint16 with other depths stays "needs uint8"
    let u = NdArray::from_shape_vec(&[8, 8], vec![1u16; 64]).unwrap();
    let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
    let e = f
        .write_with_options(&u, None, Options::new().with("compression", "jpeg"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs uint8"), "{e}");
}
