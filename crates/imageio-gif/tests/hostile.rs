//! Truncated, bit-flipped and absurd inputs: errors (or fewer frames, as documented), never a
//! panic, a hang or a huge allocation.

mod common;

use common::*;
use imageio_core::{Index, Options, Value};

fn all_inputs() -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(root().join("fixtures/gif")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "gif") {
            v.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    v.sort();
    for n in ["newtonscradle.gif", "imageio_issue245.gif"] {
        v.push((
            n.to_owned(),
            std::fs::read(imageio_core::standard::resolve(n).unwrap()).unwrap(),
        ));
    }
    assert!(v.len() >= 16);
    v
}

/// Opens and exercises everything; returns the frames read when that worked.
fn exercise(data: &[u8]) -> Option<imageio_core::NdArray> {
    let mut f = open_read(data, Options::new()).ok()?;
    let _ = f.properties(Index::Default);
    let _ = f.metadata(Index::Default, false);
    let _ = f.metadata(Index::At(0), false);
    let _ = f.iter().take(3).count();
    f.read(Index::Default).ok()
}

#[test]
fn truncated_files_error_or_give_the_complete_frames() {
    for (name, data) in all_inputs() {
        let full_frames = exercise(&data)
            .unwrap_or_else(|| panic!("{name} reads"))
            .unstack();
        let full = full_frames.len();
        let step = (data.len() / if data.len() > 100_000 { 25 } else { 120 }).max(1);
        let mut errors = 0;
        for len in (0..data.len()).step_by(step) {
            let cut = &data[..len];
            match exercise(cut) {
                Some(a) => {
                    let frames = a.unstack();
                    let n = frames.len();
                    assert!(n <= full, "{name} cut at {len}: {n} frames > {full}");
                    // The layout may differ (a dropped frame may be the one with transparency):
                    // compare the colour channels.
                    for (k, (x, y)) in frames.iter().zip(&full_frames).enumerate() {
                        let (x, y) = (x.as_array::<u8>().unwrap(), y.as_array::<u8>().unwrap());
                        let rgb = imageio_core::ndarray::s![.., .., ..3];
                        assert_eq!(x.slice(rgb), y.slice(rgb), "{name} cut at {len}: frame {k}");
                    }
                    let md = open_read(cut, Options::new())
                        .unwrap()
                        .metadata(Index::Default, true)
                        .unwrap();
                    // Only the trailer (1 byte) may be missing without a `truncated` flag.
                    if len + 1 < data.len() {
                        assert_eq!(
                            md.get("truncated"),
                            Some(&Value::Bool(true)),
                            "{name} cut at {len}"
                        );
                    }
                }
                None => errors += 1,
            }
        }
        assert!(errors > 0, "{name}: short prefixes must fail");
        // A prefix ending inside the first frame's data is an error, not an empty array.
        assert!(exercise(&data[..13]).is_none(), "{name}: header only");
    }
}

#[test]
fn bit_flips_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (_name, data) in all_inputs() {
        for _ in 0..60 {
            let mut d = data.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % d.len() as u64) as usize;
                d[i] ^= 1 << (next() % 8);
            }
            let _ = exercise(&d);
        }
    }
}

#[test]
fn garbage_is_not_a_gif() {
    let e = imageio_core::open(
        b"GIF88a-not-really".as_slice().into(),
        imageio_core::Mode::Read,
        &imageio_core::OpenArgs {
            plugin: Some("gif".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.is_unsupported(), "{e}");
    // A header with no image is a decoding error naming the problem.
    let e = open_read(
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x3b".as_slice(),
        Options::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no image"), "{e}");
    // An LZW stream with an invalid minimum code size.
    let g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x0f\x02\x44\x01\x00\x3b";
    let mut f = open_read(g.as_slice(), Options::new()).unwrap();
    assert!(f.read(Index::Default).is_err());
}
