//! Every case of fixtures/png/manifest.json (made by xtask/python/gen_png.py with Pillow/pypng)
//! decodes to the same shape, dtype and sha256, with the expected metadata.

mod common;

use common::*;
use imageio_core::{Index, Mode, OpenArgs, Options, Resource, Value, open};
use imageio_png::PngReadOptions;
use serde_json::Value as J;

fn resource(file: &str) -> String {
    match file.strip_prefix("standard:") {
        Some(name) => format!("imageio:{name}"),
        None => fixtures().join(file).to_str().unwrap().to_owned(),
    }
}

fn index(v: &J) -> Index {
    match v {
        J::Null => Index::Default,
        J::String(s) if s == "all" => Index::All,
        J::Number(n) => Index::At(n.as_u64().unwrap() as usize),
        other => panic!("bad index {other}"),
    }
}

fn shape(v: &J) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_list()
        .unwrap()
        .iter()
        .map(|x| x.as_float().unwrap())
        .collect()
}

#[test]
fn every_manifest_case_matches() {
    let m = manifest();
    let cases = m["cases"].as_array().unwrap();
    assert!(cases.len() >= 60, "manifest has only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut checked_meta = 0;
    for case in cases {
        let file = case["file"].as_str().unwrap();
        let res = resource(file);
        let idx = index(&case["index"]);
        let label = format!("{file} [{idx}]");
        let mut f = open(
            Resource::from(res.as_str()),
            Mode::Read,
            &OpenArgs::default(),
        )
        .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(f.plugin_name(), "png");
        // properties first (no decoding), then the pixels
        let props = f.properties(idx).unwrap_or_else(|e| panic!("{label}: {e}"));
        let img = f.read(idx).unwrap_or_else(|e| panic!("{label}: {e}"));
        let want_shape = shape(&case["shape"]);
        let want_dtype = case["dtype"].as_str().unwrap();
        if props.shape != want_shape || props.dtype.numpy_name() != want_dtype {
            failures.push(format!(
                "{label}: properties {:?} {} != {:?} {want_dtype}",
                props.shape, props.dtype, want_shape
            ));
        }
        if img.shape() != want_shape.as_slice() || img.dtype().numpy_name() != want_dtype {
            failures.push(format!(
                "{label}: read {:?} {} != {:?} {want_dtype}",
                img.shape(),
                img.dtype(),
                want_shape
            ));
            continue;
        }
        if img.sha256_hex() != case["sha256"].as_str().unwrap() {
            failures.push(format!("{label}: sha256 differs"));
        }
        // Frame-by-frame through iter (streaming) for APNGs.
        if let Some(frames) = case.get("frame_sha256").and_then(J::as_array) {
            let got: Vec<String> = f.iter().map(|r| r.unwrap().sha256_hex()).collect();
            let want: Vec<&str> = frames.iter().map(|x| x.as_str().unwrap()).collect();
            if got != want {
                failures.push(format!("{label}: iter frame hashes differ"));
            }
        }
        // Metadata the generator recorded.
        let meta = f
            .metadata(idx, true)
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(
            !meta.contains_key("shape"),
            "{label}: no upstream (width, height) `shape` key"
        );
        if let Some(g) = case.get("gamma").and_then(J::as_f64) {
            let got = meta.get("gamma").and_then(Value::as_float);
            if got.is_none_or(|x| (x - g).abs() > 1e-9) {
                failures.push(format!("{label}: gamma {got:?} != {g}"));
            }
            checked_meta += 1;
        }
        if let Some(c) = case.get("chromaticity").and_then(J::as_array) {
            let want: Vec<f64> = c.iter().map(|x| x.as_f64().unwrap()).collect();
            let got = meta.get("chromaticity").map(floats).unwrap_or_default();
            if got != want {
                failures.push(format!("{label}: chromaticity {got:?} != {want:?}"));
            }
            checked_meta += 1;
        }
        if let Some(s) = case.get("srgb").and_then(J::as_i64) {
            if meta.get("srgb").and_then(Value::as_int) != Some(s) {
                failures.push(format!("{label}: srgb {:?} != {s}", meta.get("srgb")));
            }
        }
        if let Some(d) = case.get("dpi").and_then(J::as_array) {
            let want: Vec<f64> = d.iter().map(|x| x.as_f64().unwrap()).collect();
            let got = meta.get("dpi").map(floats).unwrap_or_default();
            if got.len() != 2 || got.iter().zip(&want).any(|(a, b)| (a - b).abs() > 1e-9) {
                failures.push(format!("{label}: dpi {got:?} != {want:?}"));
            }
            checked_meta += 1;
        }
        if let Some(t) = case.get("text").and_then(J::as_object) {
            let got = meta
                .get("text")
                .and_then(Value::as_map)
                .cloned()
                .unwrap_or_default();
            for (k, v) in t {
                if got.get(k).and_then(Value::as_str) != v.as_str() {
                    failures.push(format!("{label}: text[{k}] = {:?}", got.get(k)));
                }
            }
            if got.len() != t.len() {
                failures.push(format!(
                    "{label}: {} text entries, expected {}",
                    got.len(),
                    t.len()
                ));
            }
            checked_meta += 1;
        }
        if let Some(icc) = case.get("icc_sha256").and_then(J::as_str) {
            let got = meta
                .get("icc_profile")
                .and_then(Value::as_bytes)
                .map(sha256_hex);
            if got.as_deref() != Some(icc) {
                failures.push(format!("{label}: icc_profile differs"));
            }
            checked_meta += 1;
        }
        if let Some(o) = case.get("orientation").and_then(J::as_i64) {
            if meta.get("Orientation").and_then(Value::as_int) != Some(o) {
                failures.push(format!(
                    "{label}: Orientation {:?} != {o}",
                    meta.get("Orientation")
                ));
            }
            if !meta.contains_key("exif") {
                failures.push(format!("{label}: no exif bytes"));
            }
            checked_meta += 1;
        }
        if let Some(n) = case.get("n_frames").and_then(J::as_i64) {
            if meta.get("n_frames").and_then(Value::as_int) != Some(n) {
                failures.push(format!(
                    "{label}: n_frames {:?} != {n}",
                    meta.get("n_frames")
                ));
            }
            if meta.get("loop").and_then(Value::as_int) != case["loop"].as_i64() {
                failures.push(format!(
                    "{label}: loop {:?} != {}",
                    meta.get("loop"),
                    case["loop"]
                ));
            }
            let want: Vec<f64> = case["durations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let got = meta.get("durations").map(floats).unwrap_or_default();
            if got != want {
                failures.push(format!("{label}: durations {got:?} != {want:?}"));
            }
            if let Index::At(i) = idx {
                if meta.get("duration").and_then(Value::as_float) != Some(want[i]) {
                    failures.push(format!(
                        "{label}: duration {:?} != {}",
                        meta.get("duration"),
                        want[i]
                    ));
                }
            }
            checked_meta += 1;
        }
        // The EXIF-rotated read, as Pillow's ImageOps.exif_transpose.
        if let (Some(rs), Some(rh)) = (
            case.get("rotated_shape"),
            case.get("rotated_sha256").and_then(J::as_str),
        ) {
            let opts: Options = PngReadOptions::new().rotate(true).into();
            let mut f = open(Resource::from(res.as_str()), Mode::Read, &args(opts)).unwrap();
            let props = f.properties(idx).unwrap();
            let img = f.read(idx).unwrap();
            if img.shape() != shape(rs).as_slice()
                || props.shape != shape(rs)
                || img.sha256_hex() != rh
            {
                failures.push(format!("{label}: rotated read {:?} differs", img.shape()));
            }
            let meta = f.metadata(idx, true).unwrap();
            assert!(
                !meta.contains_key("Orientation"),
                "{label}: applied Orientation must be excluded"
            );
            let meta = f.metadata(idx, false).unwrap();
            assert!(
                meta.contains_key("Orientation"),
                "{label}: Orientation kept when not excluding"
            );
            checked_meta += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked_meta >= 20,
        "only {checked_meta} metadata checks ran"
    );
}

#[test]
fn every_fixture_file_is_in_the_manifest() {
    let m = manifest();
    let listed: Vec<&str> = m["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    for f in fixture_files() {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(listed.contains(&name), "{name} has no manifest case");
    }
}

/// `palette = true`: indices + palette; mapping the indices through the palette gives the
/// default (expanded) read, which the manifest anchors.
#[test]
fn palette_indices_map_back_to_colours() {
    for name in [
        "palette_8bit_trns.png",
        "palette_4bit.png",
        "palette_1bit_trns.png",
        "palette_2bit_interlaced.png",
    ] {
        let path = fixtures().join(name);
        let path = path.to_str().unwrap();
        let rgb = read(path, Index::Default);
        let opts: Options = PngReadOptions::new().palette(true).into();
        let mut f = open(Resource::from(path), Mode::Read, &args(opts)).unwrap();
        let idx = f.read(Index::Default).unwrap();
        assert_eq!(idx.shape(), &rgb.shape()[..2], "{name}");
        let meta = f.metadata(Index::Default, true).unwrap();
        let Some(Value::Array(pal)) = meta.get("palette") else {
            panic!("{name}: no palette array")
        };
        let pal = pal.as_array::<u8>().unwrap();
        let c = rgb.shape()[2];
        assert_eq!(pal.shape()[1], c, "{name}: palette channels follow tRNS");
        let idx = idx.as_array::<u8>().unwrap();
        let rgb = rgb.as_array::<u8>().unwrap();
        for ((y, x), &i) in idx.indexed_iter().map(|(d, v)| ((d[0], d[1]), v)) {
            for k in 0..c {
                assert_eq!(pal[[i as usize, k]], rgb[[y, x, k]], "{name} at {y},{x}");
            }
        }
        // the default read lists the palette only when not excluding applied keys
        let mut f = open(Resource::from(path), Mode::Read, &OpenArgs::default()).unwrap();
        assert!(
            !f.metadata(Index::Default, true)
                .unwrap()
                .contains_key("palette")
        );
        assert!(
            f.metadata(Index::Default, false)
                .unwrap()
                .contains_key("palette")
        );
    }
}
