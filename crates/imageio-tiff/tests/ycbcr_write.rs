//! `photometric="ycbcr"` input written like tifffile.TiffWriter.write: the same YCbCr arrays
//! written by tifffile and by us, with the same options, decode to the same pixels in tifffile
//! (uncompressed/deflate: identical; JPEG: the same PSNR class against the source RGB) and carry
//! the same YCbCr tags (262, 530, 532, 277, 284).
mod common;

use std::path::{Path, PathBuf};

use common::*;
use imageio_core::{Metadata, NdArray, Options, Resource, Value};
use serde_json::{Value as J, json};

/// JFIF (full range) RGB → YCbCr, the colour space a JPEG/TIFF YCbCr decoder inverts.
fn to_ycbcr(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .flat_map(|p| {
            let (r, g, b) = (p[0] as f64, p[1] as f64, p[2] as f64);
            let y = 0.299 * r + 0.587 * g + 0.114 * b;
            let cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b;
            let cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b;
            [y, cb, cr].map(|c| c.round().clamp(0.0, 255.0) as u8)
        })
        .collect()
}

fn to_value(j: &J) -> Value {
    match j {
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap()),
        },
        J::String(s) => Value::Str(s.clone()),
        J::Array(a) => Value::List(a.iter().map(to_value).collect()),
        J::Object(m) => {
            let mut md = Metadata::new();
            for (k, v) in m {
                md.insert(k.clone(), to_value(v));
            }
            Value::Map(md)
        }
        J::Null => panic!("null option"),
    }
}

fn options(kw: &J) -> Options {
    let mut o = Options::new();
    for (k, v) in kw.as_object().unwrap() {
        o.set(k.clone(), to_value(v));
    }
    o
}

/// tifffile writes each (data, shape, kwargs) to `{name}.tifffile.tif` beside our file.
fn tifffile_files(dir: &Path, cases: &[(String, NdArray, J)]) -> Vec<PathBuf> {
    let spec: Vec<J> = cases
        .iter()
        .map(|(name, a, kw)| {
            let raw = dir.join(format!("{name}.raw"));
            std::fs::write(&raw, a.to_le_bytes()).unwrap();
            json!({
                "raw": raw, "dtype": a.dtype().numpy_name(), "shape": a.shape(), "kwargs": kw,
                "out": dir.join(format!("{name}.tifffile.tif")),
            })
        })
        .collect();
    let files = tifffile_write(dir, spec);
    assert_eq!(files.len(), cases.len());
    files
}

const TAGS: [&str; 8] = ["258", "259", "262", "277", "284", "530", "532", "322"];

#[test]
fn ycbcr_input_like_tifffile() {
    let dir = tempfile::tempdir().unwrap();
    let (h, w) = (96, 136);
    let rgb = photo(h, w).to_le_bytes();
    let ycc = NdArray::from_shape_vec(&[h, w, 3], to_ycbcr(&rgb)).unwrap();
    let ycc_planar = planar(&ycc);
    let two = NdArray::stack(vec![ycc.clone(), ycc.clone()]).unwrap();
    let jpeg90 = |extra: J| {
        let mut kw = json!({"photometric": "ycbcr", "compression": "jpeg",
                            "compressionargs": {"level": 90}});
        for (k, v) in extra.as_object().unwrap() {
            kw[k] = v.clone();
        }
        kw
    };
    // (name, data, tifffile kwargs = our options, lossy)
    let cases: Vec<(String, NdArray, J, bool)> = vec![
        (
            "raw_contig".into(),
            ycc.clone(),
            json!({"photometric": "ycbcr"}),
            false,
        ),
        (
            "raw_separate_strips".into(),
            ycc_planar.clone(),
            json!({"photometric": "ycbcr", "rowsperstrip": 16}),
            false,
        ),
        (
            "zlib_tiled_pages".into(),
            two.clone(),
            json!({"photometric": "ycbcr", "compression": "zlib", "tile": [32, 64]}),
            false,
        ),
        ("jpeg_default".into(), ycc.clone(), jpeg90(json!({})), true),
        (
            "jpeg_444_tiled".into(),
            ycc.clone(),
            jpeg90(json!({"subsampling": [1, 1], "tile": [32, 48]})),
            true,
        ),
        (
            "jpeg_422_strips".into(),
            ycc.clone(),
            jpeg90(json!({"subsampling": [2, 1], "rowsperstrip": 16})),
            true,
        ),
        (
            "jpeg_outcolorspace_ycbcr".into(),
            ycc.clone(),
            json!({"photometric": "ycbcr", "compression": "jpeg",
                   "compressionargs": {"level": 90, "outcolorspace": "ycbcr"}}),
            true,
        ),
        (
            // separate YCbCr planes: one grayscale JPEG per plane, (1, 1) tags (tifffile)
            "jpeg_separate".into(),
            ycc_planar.clone(),
            jpeg90(json!({})),
            true,
        ),
    ];
    let mut ours = Vec::new();
    for (name, a, kw, _) in &cases {
        let path = dir.path().join(format!("{name}.ours.tif"));
        let mut f = open_write(path.as_path(), Options::new()).unwrap();
        f.write_with_options(a, None, options(kw))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        f.close().unwrap();
        ours.push(path);
    }
    let plain: Vec<(String, NdArray, J)> = cases
        .iter()
        .map(|(n, a, kw, _)| (n.clone(), a.clone(), kw.clone()))
        .collect();
    let theirs = tifffile_files(dir.path(), &plain);
    let all: Vec<PathBuf> = ours.iter().chain(&theirs).cloned().collect();
    let rep = run_checker_dump(&all, true);
    for (((name, a, _, lossy), o), t) in cases.iter().zip(&ours).zip(&theirs) {
        let ro = &rep[&o.display().to_string()];
        let rt = &rep[&t.display().to_string()];
        assert!(ro.get("error").is_none(), "{name}: {ro}");
        assert!(rt.get("error").is_none(), "{name}: {rt}");
        for tag in TAGS {
            assert_eq!(
                ro["page0"]["tags"].get(tag),
                rt["page0"]["tags"].get(tag),
                "{name}: tag {tag}"
            );
        }
        assert_eq!(ro["page0"]["tags"]["262"], J::from(6), "{name}");
        assert!(ro["page0"]["tags"].get("530").is_some(), "{name}: 530");
        assert!(ro["page0"]["tags"].get("532").is_some(), "{name}: 532");
        let (so, st) = (&ro["series"][0], &rt["series"][0]);
        assert_eq!(so["shape"], st["shape"], "{name}");
        assert_eq!(so["dtype"], st["dtype"], "{name}");
        if !lossy {
            assert_eq!(so["sha256"], st["sha256"], "{name}: pixels differ");
            assert_eq!(so["shape"], J::from(a.shape().to_vec()), "{name}");
            assert_eq!(
                so["sha256"],
                J::from(a.sha256_hex()),
                "{name}: not the input"
            );
            // our reader returns the stored samples too, like tifffile
            let back = open_read(o.as_path(), Options::new())
                .unwrap()
                .read(imageio_core::Index::Default)
                .unwrap();
            assert_eq!(&back, a, "{name}: our reader");
            continue;
        }
        // tifffile decodes JPEG YCbCr to RGB: compare both decodes with the source RGB
        let dec_o = std::fs::read(format!("{}.s0.raw", o.display())).unwrap();
        let dec_t = std::fs::read(format!("{}.s0.raw", t.display())).unwrap();
        let reference: Vec<u8> = if a.shape()[0] == 3 {
            // separate planes decode as the stored Y, Cb, Cr planes
            ycc_planar.to_le_bytes()
        } else {
            rgb.clone()
        };
        let (p, p_ref) = (
            psnr(&reference, &dec_o, 255.0),
            psnr(&reference, &dec_t, 255.0),
        );
        eprintln!("{name}: ours {p:.2} dB, tifffile's {p_ref:.2} dB");
        assert!(
            p >= p_ref - 0.3,
            "{name}: PSNR {p:.2} vs tifffile's {p_ref:.2}"
        );
        assert!(p >= 35.0, "{name}: PSNR {p:.2}");
        // our reader (zune-jpeg) decodes our file to nearly tifffile's (libjpeg's) pixels
        let back = open_read(o.as_path(), Options::new())
            .unwrap()
            .read(imageio_core::Index::Default)
            .unwrap();
        let p2 = psnr(&back.to_le_bytes(), &dec_o, 255.0);
        assert!(p2 >= 40.0, "{name}: our decode vs libjpeg PSNR {p2:.2}");
    }
}

#[test]
fn ycbcr_refusals() {
    let ycc = noise_u8(&[32, 32, 3], 3);
    let gray = noise_u8(&[32, 32], 4);
    let cases: Vec<(&NdArray, J, &str)> = vec![
        (
            &ycc,
            json!({"photometric": "ycbcr", "compression": "jpeg",
                   "compressionargs": {"outcolorspace": "rgb"}}),
            "outcolorspace",
        ),
        (
            &ycc,
            json!({"photometric": "rgb", "compression": "jpeg",
                   "compressionargs": {"outcolorspace": 2}}),
            "cannot store untransformed RGB",
        ),
        (
            &ycc,
            json!({"photometric": "ycbcr", "compression": "zlib",
                   "compressionargs": {"outcolorspace": "ycbcr"}}),
            "JPEG compression only",
        ),
        (
            &gray,
            json!({"compression": "jpeg", "compressionargs": {"outcolorspace": "ycbcr"}}),
            "contiguous RGB or YCbCr",
        ),
        (&gray, json!({"photometric": "ycbcr"}), "3 or more samples"),
    ];
    for (a, kw, msg) in cases {
        let mut f = open_write(Resource::ReturnBytes, Options::new()).unwrap();
        let e = f
            .write_with_options(a, None, options(&kw))
            .unwrap_err()
            .to_string();
        assert!(e.contains(msg), "{kw}: {e}");
    }
}
