//! Reading real videos (imageio's standard videos, made by other software).

mod common;

use std::io::{Cursor, Read};
use std::process::Stdio;

use common::*;
use imageio_core::{DType, Error, Index, Options, Resource, Value};
use imageio_ffmpeg::ReadOptions;

#[test]
fn cockatoo_properties() {
    let mut f = open_read(standard("cockatoo.mp4").as_path(), Options::new());
    assert_eq!(f.plugin_name(), "ffmpeg");
    let p = f.properties(Index::Default).unwrap();
    assert_eq!(p.shape, vec![280, 720, 1280, 3]);
    assert_eq!(p.dtype, DType::U8);
    assert!(p.is_batch);
    assert_eq!(p.n_images, Some(280));
    let p = f.properties(Index::At(3)).unwrap();
    assert_eq!(p.shape, vec![720, 1280, 3]);
    assert!(!p.is_batch);
    let p = f.properties(Index::All).unwrap();
    assert_eq!(p.shape, vec![280, 720, 1280, 3]);
}

#[test]
fn cockatoo_properties_other_formats() {
    let mut f = open_read(
        standard("cockatoo.mp4").as_path(),
        ReadOptions::new().format("gray").into(),
    );
    assert_eq!(f.properties(Index::At(0)).unwrap().shape, vec![720, 1280]);
    let mut f = open_read(
        standard("cockatoo.mp4").as_path(),
        ReadOptions::new().format("rgb48").into(),
    );
    let p = f.properties(Index::At(4)).unwrap();
    assert_eq!((p.shape, p.dtype), (vec![720, 1280, 3], DType::U16));
    let a = f.read(Index::At(4)).unwrap();
    assert_eq!(
        (a.shape(), a.dtype()),
        (&[720usize, 1280, 3][..], DType::U16)
    );
    let mut f = open_read(
        standard("cockatoo.mp4").as_path(),
        ReadOptions::new().format("gray16").into(),
    );
    let a = f.read(Index::At(0)).unwrap();
    assert_eq!((a.shape(), a.dtype()), (&[720usize, 1280][..], DType::U16));
    let mut f = open_read(
        standard("cockatoo.mp4").as_path(),
        ReadOptions::new().format("rgba").into(),
    );
    let a = f.read(Index::At(0)).unwrap();
    assert_eq!(a.shape(), &[720, 1280, 4]);
    assert!(
        a.as_array::<u8>()
            .unwrap()
            .iter()
            .skip(3)
            .step_by(4)
            .all(|&v| v == 255)
    );
}

#[test]
fn planar_formats_are_a_clear_error() {
    let args = imageio_core::OpenArgs {
        plugin: Some("ffmpeg".into()),
        options: ReadOptions::new().format("yuv420p").into(),
        ..Default::default()
    };
    let e = imageio_core::open(
        standard("cockatoo.mp4").as_path().into(),
        imageio_core::Mode::Read,
        &args,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{msg}");
    assert!(msg.contains("yuv420p") && msg.contains("planar"), "{msg}");
}

#[test]
fn cockatoo_metadata() {
    let mut f = open_read(standard("cockatoo.mp4").as_path(), Options::new());
    let m = f.metadata(Index::Default, true).unwrap();
    assert_eq!(m["codec"], Value::Str("h264".into()));
    assert_eq!(m["fps"], Value::Float(20.0));
    assert_eq!(m["duration"], Value::Float(14.0));
    assert_eq!(m["profile"], Value::Str("High 4:4:4 Predictive".into()));
    assert_eq!(m["pix_fmt"], Value::Str("yuv444p".into()));
    assert_eq!(m["encoder"], Value::Str("Lavf56.4.101".into()));
    assert_eq!(m["n_frames"], Value::Int(280));
    assert_eq!(m["rotation"], Value::Int(0));
    assert!(m["container"].as_str().unwrap().contains("mp4"));
    assert!(m["bitrate"].as_int().unwrap() > 0);
    assert_eq!(m["major_brand"], Value::Str("isom".into()));
}

#[test]
fn frame_metadata_time_and_key_frame() {
    let mut f = open_read(standard("cockatoo.mp4").as_path(), Options::new());
    let m = f.metadata(Index::At(4), true).unwrap();
    assert_eq!(m["time"], Value::Float(0.2));
    assert_eq!(m["key_frame"], Value::Bool(false));
    let m = f.metadata(Index::At(0), true).unwrap();
    assert_eq!(m["time"], Value::Float(0.0));
    assert_eq!(m["key_frame"], Value::Bool(true));
    assert_eq!(m["frame_type"], Value::Str("I".into()));
}

#[test]
fn index_equals_iteration() {
    let wanted = [0usize, 1, 57, 279];
    let mut f = open_read(standard("cockatoo.mp4").as_path(), Options::new());
    let mut from_iter = Vec::new();
    let mut count = 0;
    for (i, frame) in f.iter().enumerate() {
        let frame = frame.unwrap();
        if wanted.contains(&i) {
            from_iter.push(frame.sha256_hex());
        }
        count += 1;
    }
    assert_eq!(count, 280);
    // Backwards (each one a seek), on the same file and on a fresh one.
    for (k, &n) in wanted.iter().enumerate().rev() {
        assert_eq!(
            f.read(Index::At(n)).unwrap().sha256_hex(),
            from_iter[k],
            "frame {n}"
        );
    }
    let mut g = open_read(standard("cockatoo.mp4").as_path(), Options::new());
    for (k, &n) in wanted.iter().enumerate() {
        assert_eq!(
            g.read(Index::At(n)).unwrap().sha256_hex(),
            from_iter[k],
            "frame {n}"
        );
    }
    // Consecutive reads after a seek continue without seeking and stay exact.
    let a = g.read(Index::At(56)).unwrap();
    let b = g.read(Index::At(57)).unwrap();
    assert_ne!(a.sha256_hex(), b.sha256_hex());
    assert_eq!(b.sha256_hex(), from_iter[2]);
}

#[test]
fn last_frame_and_out_of_range() {
    let mut f = open_read(standard("cockatoo.mp4").as_path(), Options::new());
    assert_eq!(f.read(Index::At(279)).unwrap().shape(), &[720, 1280, 3]);
    match f.read(Index::At(280)) {
        Err(Error::IndexOutOfRange {
            index: 280,
            len: Some(280),
            ..
        }) => {}
        other => panic!("expected IndexOutOfRange, got {other:?}"),
    }
    assert!(matches!(
        f.properties(Index::At(280)),
        Err(Error::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        f.metadata(Index::At(1000), true),
        Err(Error::IndexOutOfRange { .. })
    ));
    // Still usable afterwards.
    assert_eq!(f.read(Index::At(278)).unwrap().shape(), &[720, 1280, 3]);
}

fn cli_frames(
    path: &std::path::Path,
    w: usize,
    h: usize,
    mut each: impl FnMut(usize, &[u8]),
) -> usize {
    let mut child = ffmpeg_cli()
        .args(["-v", "error", "-nostdin", "-threads", "0", "-i"])
        .arg(path)
        .args([
            "-sws_flags",
            "bicubic",
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run ffmpeg");
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; w * h * 3];
    let mut n = 0;
    loop {
        match out.read_exact(&mut buf) {
            Ok(()) => {
                each(n, &buf);
                n += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(child.wait().unwrap().success());
    n
}

fn agrees_with_cli(name: &str, frames: usize, w: usize, h: usize) {
    let path = standard(name);
    let mut f = open_read(path.as_path(), Options::new());
    assert_eq!(
        f.properties(Index::All).unwrap().shape,
        vec![frames, h, w, 3]
    );
    let mut ours = f.iter();
    let n = cli_frames(&path, w, h, |i, cli| {
        let a = ours
            .next()
            .unwrap_or_else(|| panic!("{name}: we stop before frame {i}"))
            .unwrap();
        assert_eq!(a.shape(), &[h, w, 3]);
        let mine = a.as_array::<u8>().unwrap();
        let mine = mine.as_slice().unwrap();
        if mine != cli {
            let diff = mine.iter().zip(cli).filter(|(a, b)| a != b).count();
            panic!("{name}: frame {i} differs from the ffmpeg CLI in {diff} samples");
        }
    });
    assert!(
        ours.next().is_none(),
        "{name}: we return more frames than the CLI"
    );
    assert_eq!(n, frames);
}

#[test]
fn pixels_agree_with_ffmpeg_cli_cockatoo() {
    agrees_with_cli("cockatoo.mp4", 280, 1280, 720);
}

#[test]
fn pixels_agree_with_ffmpeg_cli_yuv420_and_realshort() {
    agrees_with_cli("cockatoo_yuv420.mp4", 280, 1280, 720);
    agrees_with_cli("realshort.mp4", 36, 320, 240);
}

#[test]
fn realshort_reads_all() {
    let mut f = open_read(standard("realshort.mp4").as_path(), Options::new());
    let a = f.read(Index::Default).unwrap();
    assert_eq!(a.shape(), &[36, 240, 320, 3]);
    let m = f.metadata(Index::All, true).unwrap();
    let fps = m["fps"].as_float().unwrap();
    assert!((fps - 45000.0 / 1499.0).abs() < 1e-9, "{fps}");
    // Each frame by index equals the stacked read.
    let frames = a.unstack();
    for n in [35, 0, 17, 18] {
        assert_eq!(f.read(Index::At(n)).unwrap(), frames[n], "frame {n}");
    }
}

#[test]
fn cockatoo_yuv420_reads() {
    let mut f = open_read(standard("cockatoo_yuv420.mp4").as_path(), Options::new());
    assert_eq!(
        f.properties(Index::All).unwrap().shape,
        vec![280, 720, 1280, 3]
    );
    let m = f.metadata(Index::All, true).unwrap();
    assert_eq!(m["pix_fmt"], Value::Str("yuv420p".into()));
    assert_eq!(f.read(Index::At(200)).unwrap().shape(), &[720, 1280, 3]);
}

#[test]
fn limits_refuse_before_allocating() {
    let args = imageio_core::OpenArgs {
        plugin: Some("ffmpeg".into()),
        limits: imageio_core::Limits::default().with_max_bytes(Some(100 << 20)),
        ..Default::default()
    };
    let mut f = imageio_core::open(
        standard("cockatoo.mp4").as_path().into(),
        imageio_core::Mode::Read,
        &args,
    )
    .unwrap();
    assert!(matches!(f.read(Index::All), Err(Error::Limits { .. })));
    // One frame (2.7 MB) is fine.
    assert!(f.read(Index::At(3)).is_ok());
}

#[test]
fn bytes_and_streams_in() {
    let path = standard("realshort.mp4");
    let data = std::fs::read(&path).unwrap();
    let mut by_path = open_read(path.as_path(), Options::new());
    let want = by_path.read(Index::All).unwrap();
    let mut by_bytes = open_read(data.as_slice(), Options::new());
    assert_eq!(by_bytes.read(Index::All).unwrap(), want);
    assert_eq!(by_bytes.read(Index::At(20)).unwrap(), want.unstack()[20]);
    let mut by_stream = open_read(Resource::reader(Cursor::new(data.clone())), Options::new());
    assert_eq!(
        by_stream.properties(Index::All).unwrap().shape,
        vec![36, 240, 320, 3]
    );
    assert_eq!(by_stream.read(Index::All).unwrap(), want);
    // Selection by sniffing, without an extension or plugin name.
    let mut f = imageio_core::open(
        data.as_slice().into(),
        imageio_core::Mode::Read,
        &Default::default(),
    )
    .unwrap();
    assert_eq!(f.plugin_name(), "ffmpeg");
    assert_eq!(f.read(Index::At(0)).unwrap(), want.unstack()[0]);
}

/// A reader that panics after some bytes: the panic must not cross FFmpeg.
struct Panicky(Cursor<Vec<u8>>, usize);
impl Read for Panicky {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.position() as usize >= self.1 {
            panic!("reader exploded");
        }
        self.0.read(buf)
    }
}
impl std::io::Seek for Panicky {
    fn seek(&mut self, p: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(p)
    }
}

#[test]
fn panicking_and_failing_readers_give_errors() {
    let data = std::fs::read(standard("realshort.mp4")).unwrap();
    // The core reads the first 64 KiB itself (sniffing); FFmpeg's reads through the custom AVIO
    // context come after, at 64 KiB and beyond.
    for limit in [1000usize, 50_000, 65_536] {
        let args = imageio_core::OpenArgs {
            plugin: Some("ffmpeg".into()),
            ..Default::default()
        };
        let r = imageio_core::open(
            Resource::reader(Panicky(Cursor::new(data.clone()), limit)),
            imageio_core::Mode::Read,
            &args,
        )
        .and_then(|mut f| f.read(Index::All));
        let e = r.expect_err("a panicking reader cannot succeed");
        assert!(
            e.to_string().contains("panicked") || e.to_string().contains("reader"),
            "{e}"
        );
    }
}

#[test]
fn truncated_and_corrupt_files_error_without_panics() {
    let data = std::fs::read(standard("realshort.mp4")).unwrap();
    // The moov box is at the end: every truncation loses the index.
    for len in [
        0usize,
        1,
        8,
        12,
        100,
        1000,
        10_000,
        50_000,
        95_000,
        95_400,
        96_000,
        data.len() - 1,
    ] {
        let args = imageio_core::OpenArgs {
            plugin: Some("ffmpeg".into()),
            ..Default::default()
        };
        let r = imageio_core::open(data[..len].to_vec().into(), imageio_core::Mode::Read, &args)
            .and_then(|mut f| f.read(Index::All));
        assert!(r.is_err(), "truncated at {len} read without error");
    }
    // Bit flips and garbage in the middle: errors or a result, never a panic or hang.
    let mut state = 12345u64;
    for i in 0..24 {
        let mut d = data.clone();
        for _ in 0..(1 + i % 8) {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = (state >> 33) as usize % d.len();
            d[pos] ^= 1 << ((state >> 60) as u8 % 8);
        }
        let args = imageio_core::OpenArgs {
            plugin: Some("ffmpeg".into()),
            ..Default::default()
        };
        if let Ok(mut f) = imageio_core::open(d.into(), imageio_core::Mode::Read, &args) {
            let _ = f.properties(Index::All);
            let _ = f.read(Index::At(30));
            let _ = f.read(Index::All);
        }
    }
    let garbage: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let mut g = b"\0\0\0\x18ftypisom".to_vec();
    g.extend_from_slice(&garbage);
    let args = imageio_core::OpenArgs {
        plugin: Some("ffmpeg".into()),
        ..Default::default()
    };
    assert!(
        imageio_core::open(g.into(), imageio_core::Mode::Read, &args)
            .and_then(|mut f| f.read(Index::All))
            .is_err()
    );
    assert!(
        imageio_core::open(garbage.into(), imageio_core::Mode::Read, &args)
            .and_then(|mut f| f.read(Index::All))
            .is_err()
    );
}

#[test]
fn missing_webcam_names_the_device() {
    let args = imageio_core::OpenArgs {
        plugin: Some("ffmpeg".into()),
        ..Default::default()
    };
    let e = imageio_core::open("<video9>".into(), imageio_core::Mode::Read, &args)
        .unwrap_err()
        .to_string();
    assert!(e.contains("<video9>"), "{e}");
    assert!(e.contains("`device` feature"), "{e}");
    if cfg!(feature = "device") {
        assert!(e.contains("/dev/video9"), "{e}");
    }
}

#[test]
fn options_size_filter_and_rotation() {
    let path = standard("realshort.mp4");
    let mut f = open_read(path.as_path(), ReadOptions::new().size(160, 90).into());
    assert_eq!(
        f.properties(Index::All).unwrap().shape,
        vec![36, 90, 160, 3]
    );
    assert_eq!(f.read(Index::At(5)).unwrap().shape(), &[90, 160, 3]);
    let mut f = open_read(
        path.as_path(),
        ReadOptions::new().filter("scale=160:-1,framestep=5").into(),
    );
    assert_eq!(
        f.properties(Index::All).unwrap().shape,
        vec![8, 120, 160, 3]
    );
    let all = f.read(Index::All).unwrap();
    assert_eq!(all.shape(), &[8, 120, 160, 3]);
    assert_eq!(f.read(Index::At(3)).unwrap(), all.unstack()[3]);
    let frames: Vec<_> = f.iter().map(|r| r.unwrap()).collect();
    assert_eq!(frames.len(), 8);
    let bad = imageio_core::open(
        path.as_path().into(),
        imageio_core::Mode::Read,
        &imageio_core::OpenArgs {
            plugin: Some("ffmpeg".into()),
            options: ReadOptions::new().filter("nosuchfilter=3").into(),
            ..Default::default()
        },
    )
    .and_then(|mut f| f.read(Index::At(0)));
    assert!(bad.unwrap_err().to_string().contains("nosuchfilter"));
    // Threading settings do not change pixels.
    let mut single = open_read(
        path.as_path(),
        ReadOptions::new()
            .thread_type("none")
            .thread_count(1)
            .into(),
    );
    let mut fwd = open_read(
        path.as_path(),
        ReadOptions::new().constant_framerate(false).into(),
    );
    let want = open_read(path.as_path(), Options::new())
        .read(Index::At(30))
        .unwrap();
    assert_eq!(single.read(Index::At(30)).unwrap(), want);
    assert_eq!(fwd.read(Index::At(30)).unwrap(), want);
}

#[test]
fn display_matrix_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let rot = dir.path().join("rot.mp4");
    let ok = ffmpeg_cli()
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(standard("realshort.mp4"))
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
        .arg(&rot)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let mut plain = open_read(rot.as_path(), Options::new());
    let m = plain.metadata(Index::All, true).unwrap();
    // Clockwise degrees a player turns the picture (the CLI's autorotate inserts transpose=cclock).
    assert_eq!(m["rotation"], Value::Int(270));
    assert_eq!(
        plain.properties(Index::All).unwrap().shape,
        vec![36, 240, 320, 3]
    );
    let mut turned = open_read(rot.as_path(), ReadOptions::new().rotate(true).into());
    assert_eq!(
        turned.properties(Index::All).unwrap().shape,
        vec![36, 320, 240, 3]
    );
    assert!(
        !turned
            .metadata(Index::All, true)
            .unwrap()
            .contains_key("rotation")
    );
    assert_eq!(
        turned.metadata(Index::All, false).unwrap()["rotation"],
        Value::Int(270)
    );
    // Same pixels as the CLI, which rotates by default.
    let mut ours = turned.iter();
    let n = cli_frames(&rot, 240, 320, |i, cli| {
        let a = ours.next().unwrap().unwrap();
        assert_eq!(a.shape(), &[320, 240, 3]);
        assert!(
            a.as_array::<u8>().unwrap().as_slice().unwrap() == cli,
            "rotated frame {i} differs from the CLI"
        );
    });
    assert_eq!(n, 36);
    let a = turned.read(Index::At(10)).unwrap();
    let b = plain
        .read(Index::At(10))
        .unwrap()
        .into_array::<u8>()
        .unwrap();
    // transpose=cclock: out[y][x] = in[x][W - 1 - y].
    let a = a.as_array::<u8>().unwrap();
    assert_eq!(a[[0, 0, 0]], b[[0, 319, 0]]);
    assert_eq!(a[[319, 239, 1]], b[[239, 0, 1]]);
}

/// Expected values from PyAV (xtask/python/gen_ffmpeg.py → fixtures/ffmpeg/manifest.json).
#[test]
fn agrees_with_pyav_manifest() {
    let text = std::fs::read_to_string(workspace().join("fixtures/ffmpeg/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = manifest["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let name = case["file"]
            .as_str()
            .unwrap()
            .strip_prefix("standard:")
            .unwrap();
        let path = standard(name);
        let mut f = open_read(
            path.as_path(),
            ReadOptions::new()
                .format(case["format"].as_str().unwrap())
                .into(),
        );
        let shape: Vec<usize> = case["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let index = match &case["index"] {
            serde_json::Value::String(s) if s == "all" => Index::All,
            v => Index::At(v.as_u64().unwrap() as usize),
        };
        let a = f.read(index).unwrap();
        assert_eq!(a.shape(), shape.as_slice(), "{name} {index}");
        assert_eq!(a.dtype().numpy_name(), case["dtype"].as_str().unwrap());
        assert_eq!(
            a.sha256_hex(),
            case["sha256"].as_str().unwrap(),
            "{name} {index}: pixels differ from PyAV"
        );
        if index == Index::All {
            let mut rgb = open_read(path.as_path(), Options::new());
            let p = rgb.properties(Index::All).unwrap();
            let want: Vec<usize> = case["rgb24_shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            assert_eq!(p.shape, want, "{name}");
            assert_eq!(p.n_images, case["n_frames"].as_u64().map(|n| n as usize));
            let m = rgb.metadata(Index::All, true).unwrap();
            assert_eq!(
                m["fps"].as_float().unwrap(),
                case["fps"].as_f64().unwrap(),
                "{name}"
            );
            if let Some(d) = case["duration"].as_f64() {
                assert!(
                    (m["duration"].as_float().unwrap() - d).abs() < 1e-6,
                    "{name}"
                );
            }
            assert_eq!(
                m["codec"].as_str().unwrap(),
                case["codec"].as_str().unwrap()
            );
            assert_eq!(
                m["profile"].as_str().unwrap(),
                case["profile"].as_str().unwrap()
            );
            assert_eq!(
                m["pix_fmt"].as_str().unwrap(),
                case["pix_fmt"].as_str().unwrap()
            );
        } else {
            let m = f.metadata(index, true).unwrap();
            assert_eq!(
                m["time"].as_float().unwrap(),
                case["time"].as_f64().unwrap(),
                "{name}"
            );
            assert_eq!(
                m["key_frame"].as_bool().unwrap(),
                case["key_frame"].as_bool().unwrap(),
                "{name}"
            );
        }
    }
}
