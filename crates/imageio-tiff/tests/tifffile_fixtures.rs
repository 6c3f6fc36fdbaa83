//! Files written by tifffile (xtask/python/gen_tiff.py) and the standard TIFF images read with
//! the shape, dtype and pixels tifffile reads (fixtures/tiff/manifest.json).
mod common;

use common::*;
use imageio_core::Value;

fn manifest() -> serde_json::Value {
    let text =
        std::fs::read_to_string(fixture("manifest.json")).expect("fixtures/tiff/manifest.json");
    serde_json::from_str(&text).unwrap()
}

fn check_meta(
    m: &imageio_core::Metadata,
    expect: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let mut bad = Vec::new();
    for (k, v) in expect {
        let got = m.get(k).map(Value::to_json);
        let ok = match (&got, v) {
            (Some(serde_json::Value::Array(a)), serde_json::Value::Array(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|(x, y)| {
                        (x.as_f64().unwrap_or(f64::NAN) - y.as_f64().unwrap_or(0.0)).abs() < 1e-9
                    })
            }
            (Some(g), v) => g == v,
            (None, _) => false,
        };
        if !ok {
            bad.push(format!("meta {k}: got {got:?}, want {v}"));
        }
    }
    bad
}

#[test]
fn every_manifest_case_reads_like_tifffile() {
    let doc = manifest();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() > 100, "manifest has only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut needs_turbo = 0;
    for c in cases {
        let file = c["file"].as_str().unwrap();
        let res = match file.strip_prefix("standard:") {
            Some(name) => format!("imageio:{name}"),
            None => fixture(file).display().to_string(),
        };
        let label = format!(
            "{file} index={} options={}",
            c["index"],
            c.get("options").unwrap_or(&serde_json::Value::Null)
        );
        let opts = json_options(c.get("options"));
        let mut f = match open_read(res.as_str(), opts) {
            Ok(f) => f,
            Err(e) => {
                failures.push(format!("{label}: open: {e}"));
                continue;
            }
        };
        let index = index_of(&c["index"]);
        // 12-bit JPEG needs the `turbo` feature: without it, reading must fail with an error
        // that names the feature (with it, the case is checked like every other one)
        if c.get("requires").and_then(|r| r.as_str()) == Some("turbo") {
            needs_turbo += 1;
            if cfg!(not(feature = "turbo")) {
                match f.read(index) {
                    Ok(_) => failures.push(format!("{label}: read without feature `turbo`")),
                    Err(e) if e.to_string().contains("tiff-turbo") => {}
                    Err(e) => failures.push(format!("{label}: unclear refusal: {e}")),
                }
                continue;
            }
        }
        let a = match f.read(index) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{label}: read: {e}"));
                continue;
            }
        };
        let shape: Vec<usize> = c["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        if a.shape() != shape.as_slice() || a.dtype().numpy_name() != c["dtype"].as_str().unwrap() {
            failures.push(format!(
                "{label}: got {} {:?}, want {} {:?}",
                a.dtype(),
                a.shape(),
                c["dtype"],
                shape
            ));
            continue;
        }
        if let Some(tol) = c.get("tolerance") {
            let want = std::fs::read(fixture(tol["raw"].as_str().unwrap())).unwrap();
            let got = a.to_le_bytes();
            assert_eq!(want.len(), got.len());
            let diffs: Vec<u32> = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (*a as i32 - *b as i32).unsigned_abs())
                .collect();
            let max = *diffs.iter().max().unwrap();
            let mean = diffs.iter().map(|&d| d as f64).sum::<f64>() / diffs.len() as f64;
            // with the `turbo` feature 8-bit JPEG is decoded by libjpeg-turbo, as in tifffile:
            // exactly the same pixels; zune-jpeg (default build) rounds differently
            let (max_abs, mean_abs) = if cfg!(feature = "turbo") {
                (0, 0.0)
            } else {
                (
                    tol["max_abs"].as_u64().unwrap(),
                    tol["mean_abs"].as_f64().unwrap(),
                )
            };
            if max as u64 > max_abs || mean > mean_abs {
                failures.push(format!(
                    "{label}: lossy pixels differ: max {max} mean {mean:.3}"
                ));
            }
        } else if a.sha256_hex() != c["sha256"].as_str().unwrap() {
            failures.push(format!("{label}: pixels differ"));
        }
        match f.properties(index) {
            Ok(p) if p.shape == shape && p.dtype.numpy_name() == c["dtype"].as_str().unwrap() => {}
            Ok(p) => failures.push(format!(
                "{label}: properties {:?} {} differ from read",
                p.shape, p.dtype
            )),
            Err(e) => failures.push(format!("{label}: properties: {e}")),
        }
        if let Some(axes) = c
            .get("props")
            .and_then(|p| p.get("axes"))
            .and_then(|a| a.as_str())
        {
            let m = f.metadata(index, false).unwrap();
            if m.get("axes").and_then(Value::as_str) != Some(axes) {
                failures.push(format!("{label}: axes {:?}, want {axes}", m.get("axes")));
            }
        }
        if let Some(serde_json::Value::Object(expect)) = c.get("meta") {
            let mut m = f.metadata(imageio_core::Index::Default, false).unwrap();
            m.extend(f.metadata(index, false).unwrap());
            for b in check_meta(&m, expect) {
                failures.push(format!("{label}: {b}"));
            }
        }
    }
    assert!(needs_turbo >= 6, "only {needs_turbo} 12-bit JPEG cases");
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
