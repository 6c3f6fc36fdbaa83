//! What the criterion bench and the `gif_timing` example share: the generated 100 × 256 × 256
//! pan over a photo-like image, encode/decode round trips through the plugin, and PSNR.

use imageio_core::ndarray::{Array4, ArrayD};
use imageio_core::{Index, Mode, NdArray, OpenArgs, Options, Resource};

/// Frames of the generated animation.
pub const N: usize = 100;
/// Side of its square frames.
pub const S: usize = 256;

/// A deterministic photo-like 1024 × 768 RGB image: smooth shapes, texture and noise.
fn photo() -> Vec<u8> {
    let (w, h) = (1024usize, 768usize);
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64 / w as f64, y as f64 / h as f64);
            let base = [
                120.0 + 90.0 * (fx * 5.0 + (fy * 3.0).sin()).sin(),
                100.0 + 70.0 * (fy * 7.0 - fx * 2.0).cos(),
                90.0 + 60.0 * ((fx - 0.5).hypot(fy - 0.4) * 18.0).sin(),
            ];
            let tex = 12.0 * ((x as f64 * 0.31).sin() * (y as f64 * 0.27).cos());
            for b in base {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let noise = (state % 9) as f64 - 4.0;
                out.push((b + tex + noise).clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}

/// `N` frames of `S × S` RGB panning over [`photo`] (thousands of colours per frame).
pub fn pan() -> Array4<u8> {
    let img = photo();
    let (w, h) = (1024usize, 768usize);
    Array4::from_shape_fn((N, S, S, 3), |(k, y, x, c)| {
        let t = k as f64 / (N - 1) as f64;
        let x0 = (t * (w - S) as f64).round() as usize;
        let y0 = ((0.5 - 0.5 * (std::f64::consts::PI * t).cos()) * (h - S) as f64).round() as usize;
        img[((y0 + y) * w + x0 + x) * 3 + c]
    })
}

/// All frames written as one GIF in memory.
pub fn encode(frames: &ArrayD<u8>, opts: Options) -> Vec<u8> {
    let args = OpenArgs {
        extension: Some(".gif".into()),
        options: opts,
        ..Default::default()
    };
    let mut w = imageio_core::open(Resource::ReturnBytes, Mode::Write, &args).unwrap();
    w.write_with(frames, Some(true)).unwrap();
    w.close().unwrap().unwrap()
}

/// Every frame of a GIF in memory.
pub fn decode(bytes: &[u8]) -> NdArray {
    let mut f = imageio_core::open(bytes.into(), Mode::Read, &OpenArgs::default()).unwrap();
    f.read(Index::Default).unwrap()
}

/// PSNR of `b` against `a` in dB (infinite when equal).
pub fn psnr(a: &ArrayD<u8>, b: &NdArray) -> f64 {
    let b = b.as_array::<u8>().unwrap();
    imageio_testutil::psnr(
        a.as_standard_layout().as_slice().unwrap(),
        b.as_standard_layout().as_slice().unwrap(),
        255.0,
    )
}
