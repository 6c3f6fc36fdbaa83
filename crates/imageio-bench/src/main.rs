//! Bench peer for `../shared/bench/anchors.py --peer`: tool `imageio-rs`, going through the public
//! `imageio` API only (resource → array for decode, array → file for encode), so its figures sit
//! in the same table as imageio, Pillow, tifffile, PyAV, OpenCV, pyvips and image-rs.
//!
//! ```text
//! imageio-bench list
//! imageio-bench cell imageio-rs <decode|encode> <case> <input> <reps> <outdir>
//! ```
//! Each `cell` prints one JSON line: `times`, `cpu_times`, `warmup_s`, `rss_before_kb`,
//! `peak_rss_kb`, `out_bytes`, `out_nbytes` (or `{"skip": why}` / `{"error": …}`).

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use imageio::{NdArray, Options};
use serde_json::json;

const TOOL: &str = "imageio-rs";

/// Every case of the bench dataset, with the output extension and the write options that match
/// the other tools' settings (see ../shared/bench/README.md).
fn cases() -> Vec<(&'static str, &'static str, Options)> {
    vec![
        ("png_rgb8", "png", Options::new()),
        ("png_gray16", "png", Options::new()),
        (
            "jpeg_q90",
            "jpg",
            Options::new()
                .with("quality", 90i64)
                .with("subsampling", "4:2:0"),
        ),
        ("tiff_raw", "tif", Options::new()),
        (
            "tiff_deflate",
            "tif",
            Options::new()
                .with("compression", "deflate")
                .with("predictor", 2i64)
                .with("rowsperstrip", 64i64),
        ),
        (
            "tiff_lzw",
            "tif",
            Options::new()
                .with("compression", "lzw")
                .with("predictor", 2i64)
                .with("rowsperstrip", 64i64),
        ),
        ("tiff_volume", "tif", Options::new()),
        (
            "gif_anim",
            "gif",
            Options::new().with("duration", 40i64).with("loop", 0i64),
        ),
        (
            "mp4_h264",
            "mp4",
            Options::new().with("fps", 30.0).with("codec", "libx264"),
        ),
        ("heic_q90", "heic", Options::new().with("quality", 90i64)),
    ]
}

fn enabled(case: &str) -> Result<(), String> {
    match case {
        "mp4_h264" if !cfg!(feature = "ffmpeg") => Err("built without the ffmpeg feature".into()),
        "heic_q90" if !cfg!(feature = "heif") => Err("built without the heif feature".into()),
        _ => Ok(()),
    }
}

fn read_npy(path: &Path) -> Result<NdArray, String> {
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    f.read_to_end(&mut all).map_err(|e| e.to_string())?;
    if all.len() < 10 || &all[..6] != b"\x93NUMPY" {
        return Err("not a .npy file".into());
    }
    let (hlen, start) = if all[6] == 1 {
        (u16::from_le_bytes([all[8], all[9]]) as usize, 10)
    } else {
        (
            u32::from_le_bytes([all[8], all[9], all[10], all[11]]) as usize,
            12,
        )
    };
    let header = std::str::from_utf8(&all[start..start + hlen]).map_err(|e| e.to_string())?;
    let dtype = if header.contains("'|u1'") {
        imageio::DType::U8
    } else if header.contains("'<u2'") {
        imageio::DType::U16
    } else {
        return Err(format!("unsupported dtype in {header}"));
    };
    let s = &header[header.find("'shape': (").ok_or("no shape")? + 10..];
    let s = &s[..s.find(')').ok_or("bad shape")?];
    let shape: Vec<usize> = s.split(',').filter_map(|t| t.trim().parse().ok()).collect();
    NdArray::from_le_bytes(dtype, &shape, &all[start + hlen..]).map_err(|e| e.to_string())
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the zero-initialised struct we pass.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut ru);
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 * 1e-6;
        t(ru.ru_utime) + t(ru.ru_stime)
    }
}

fn status_kb(key: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|r| r.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

type Body = Box<dyn FnMut() -> Result<usize, String>>;

fn body(op: &str, case: &str, input: PathBuf, out: PathBuf) -> Result<Body, String> {
    enabled(case).map_err(|e| format!("skip: {e}"))?;
    let (_, _, options) = cases()
        .into_iter()
        .find(|c| c.0 == case)
        .ok_or(format!("skip: unknown case {case}"))?;
    match op {
        "decode" => Ok(Box::new(move || {
            let img = imageio::imread(&input).map_err(|e| e.to_string())?;
            let n = img.nbytes();
            black_box(&img);
            Ok(n)
        })),
        "encode" => {
            let img = read_npy(&input)?;
            Ok(Box::new(move || {
                imageio::writer(&out)
                    .options(options.clone())
                    .write(&img)
                    .map_err(|e| e.to_string())?;
                Ok(img.nbytes())
            }))
        }
        _ => Err(format!("bad op {op}")),
    }
}

fn cell(op: &str, case: &str, input: &str, reps: usize, outdir: &str) -> serde_json::Value {
    let head = json!({"tool": TOOL, "case": case, "op": op});
    let ext = cases()
        .iter()
        .find(|c| c.0 == case)
        .map(|c| c.1)
        .unwrap_or("bin");
    let out = Path::new(outdir).join(format!("{TOOL}_{case}.{ext}"));
    let with = |k: &str, v: serde_json::Value| {
        let mut h = head.clone();
        h[k] = v;
        h
    };
    let mut f = match body(op, case, PathBuf::from(input), out.clone()) {
        Ok(f) => f,
        Err(e) => {
            return match e.strip_prefix("skip: ") {
                Some(r) => with("skip", json!(r)),
                None => with("error", json!(e)),
            };
        }
    };
    let rss_before = status_kb("VmHWM:");
    let t = Instant::now();
    let nbytes = match f() {
        Ok(n) => n,
        Err(e) => return with("error", json!(e)),
    };
    let warm = t.elapsed().as_secs_f64();
    let reps = reps
        .min(((10.0 / warm.max(1e-3)).ceil() as usize).max(3))
        .max(1);
    let (mut times, mut cpu) = (vec![], vec![]);
    for _ in 0..reps {
        let c0 = cpu_seconds();
        let t = Instant::now();
        if let Err(e) = f() {
            return with("error", json!(e));
        }
        times.push(t.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - c0);
    }
    let out_bytes = if op == "encode" {
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0)
    } else {
        0
    };
    let mut v = head;
    v["times"] = json!(times);
    v["cpu_times"] = json!(cpu);
    v["warmup_s"] = json!(warm);
    v["rss_before_kb"] = json!(rss_before);
    v["peak_rss_kb"] = json!(status_kb("VmHWM:"));
    v["out_bytes"] = json!(out_bytes);
    v["out_nbytes"] = json!(nbytes);
    v["threads"] = json!(
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .to_string()
    );
    v
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    match a.get(1).map(String::as_str) {
        Some("list") => {
            for (case, _, _) in cases() {
                if enabled(case).is_ok() {
                    for op in ["decode", "encode"] {
                        println!("{}", json!({"tool": TOOL, "case": case, "op": op}));
                    }
                }
            }
        }
        Some("cell") if a.len() == 8 => {
            let reps: usize = a[6].parse().unwrap_or(7);
            if a[2] != TOOL {
                println!(
                    "{}",
                    json!({"tool": a[2], "case": a[4], "op": a[3], "skip": "unknown tool"})
                );
                return;
            }
            println!("{}", cell(&a[3], &a[4], &a[5], reps, &a[7]));
        }
        _ => {
            eprintln!(
                "usage: imageio-bench list | cell imageio-rs <decode|encode> <case> <input> <reps> <outdir>"
            );
            std::process::exit(2);
        }
    }
}
