//! Peak memory while iterating a 300-frame 720p video (its own test binary, so that no other
//! test's allocations count). The whole video is 300 × 2.76 MB = 829 MB decoded.

mod common;

use common::*;
use imageio_core::{Index, Options};

fn vm_hwm_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = s.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn iterating_300_frames_of_720p_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("testsrc2.mp4");
    let ok = ffmpeg_cli()
        .args([
            "-v",
            "error",
            "-nostdin",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30",
            "-frames:v",
            "300",
        ])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ffmpeg could not make the test video");

    let mut f = open_read(path.as_path(), Options::new());
    assert_eq!(f.properties(Index::All).unwrap().n_images, Some(300));
    let before = vm_hwm_kib();
    let mut n = 0;
    let mut checksum = 0u64;
    for frame in f.iter() {
        let frame = frame.unwrap();
        assert_eq!(frame.shape(), &[720, 1280, 3]);
        checksum = checksum.wrapping_add(frame.as_array::<u8>().unwrap()[[n % 720, 7, 1]] as u64);
        n += 1;
    }
    let after = vm_hwm_kib();
    assert_eq!(n, 300);
    let grew_mib = (after.saturating_sub(before)) as f64 / 1024.0;
    eprintln!("peak RSS grew by {grew_mib:.1} MiB while iterating (checksum {checksum})");
    // A few RGB frames (2.6 MiB each) plus the decoder's frame-thread buffers; far below the
    // 791 MiB the whole video would take.
    assert!(grew_mib < 64.0, "peak RSS grew by {grew_mib:.1} MiB");
}
