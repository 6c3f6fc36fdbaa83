//! Encoding with jpeg-encoder.

use std::borrow::Cow;

use imageio_core::{Error, NdView, Options, Result, Value};
#[cfg(not(feature = "turbo"))]
use jpeg_encoder::{ChromaSubsamplingMethod, Encoder, PixelDensity, PixelDensityUnit};
use jpeg_encoder::{ColorType, SamplingFactor};

use crate::markers;

/// Validated write settings.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub quality: u8,
    pub progressive: bool,
    pub optimize: bool,
    pub sampling: SamplingFactor,
    pub dpi: Option<(u16, u16)>,
    pub icc: Option<Vec<u8>>,
    pub exif: Option<Vec<u8>>,
    pub comment: Option<Vec<u8>>,
    pub restart_interval: Option<u16>,
}

impl Settings {
    pub fn from_options(o: &Options) -> Result<Settings> {
        let quality = match o.get_int("quality") {
            None => 75,
            Some(q @ 1..=100) => q as u8,
            Some(q) => {
                return Err(Error::invalid_argument(format!(
                    "JPEG quality must be 1..=100, not {q}"
                )));
            }
        };
        let sampling = match o.get_str("subsampling") {
            None => SamplingFactor::R_4_2_0,
            Some(s) => match s.trim() {
                "4:4:4" | "444" => SamplingFactor::R_4_4_4,
                "4:2:2" | "422" => SamplingFactor::R_4_2_2,
                "4:2:0" | "420" => SamplingFactor::R_4_2_0,
                other => {
                    return Err(Error::invalid_argument(format!(
                        "JPEG subsampling must be \"4:4:4\", \"4:2:2\" or \"4:2:0\", not \"{other}\""
                    )));
                }
            },
        };
        let dpi = match o.get_list("dpi") {
            None => None,
            Some(l) => {
                let nums: Option<Vec<f64>> = l.iter().map(Value::as_float).collect();
                let dpi_err = || {
                    Error::invalid_argument(format!(
                        "JPEG dpi must be one or two numbers in 1..=65535 (dots per inch), not {l:?}"
                    ))
                };
                let nums = nums.ok_or_else(dpi_err)?;
                let conv = |v: f64| -> Result<u16> {
                    // Python's round() (half to even), as Pillow: 72.5 -> 72, 73.5 -> 74
                    let r = v.round_ties_even();
                    if (1.0..=65535.0).contains(&r) {
                        Ok(r as u16)
                    } else {
                        Err(dpi_err())
                    }
                };
                match nums.as_slice() {
                    [d] => Some((conv(*d)?, conv(*d)?)),
                    [x, y] => Some((conv(*x)?, conv(*y)?)),
                    _ => return Err(dpi_err()),
                }
            }
        };
        let bytes = |k: &str| o.get(k).and_then(Value::as_bytes).map(<[u8]>::to_vec);
        let restart_interval = match o.get_int("restart_interval") {
            None | Some(0) => None,
            Some(n @ 1..=65535) => Some(n as u16),
            Some(n) => {
                return Err(Error::invalid_argument(format!(
                    "JPEG restart_interval must be 0..=65535 MCUs, not {n}"
                )));
            }
        };
        let exif = bytes("exif").filter(|b| !b.is_empty());
        if let Some(e) = &exif {
            // One APP1 segment: 65533 payload bytes, 6 of them the `Exif\0\0` prefix.
            let tiff = e.strip_prefix(b"Exif\0\0").unwrap_or(e);
            if tiff.len() > 65527 {
                return Err(Error::invalid_argument(format!(
                    "JPEG EXIF data is too long: one APP1 segment holds at most 65527 bytes of \
                     TIFF data (65533 with the Exif\\0\\0 prefix), this one has {}",
                    tiff.len()
                )));
            }
        }
        Ok(Settings {
            quality,
            progressive: o.get_bool("progressive").unwrap_or(false),
            optimize: o.get_bool("optimize").unwrap_or(false),
            sampling,
            dpi,
            icc: bytes("icc_profile").filter(|b| !b.is_empty()),
            exif,
            comment: bytes("comment").filter(|b| !b.is_empty()),
            restart_interval,
        })
    }
}

/// Checks the array and returns `(height, width, colour type, pixels in C order)`.
fn pixels<'v>(image: &'v NdView<'_>) -> Result<(u16, u16, ColorType, Cow<'v, [u8]>)> {
    let shape = image.shape().to_vec();
    let Some(a) = image.as_array::<u8>() else {
        return Err(Error::invalid_argument(format!(
            "JPEG stores 8-bit samples: cannot write a {} array (convert it to uint8 first, e.g. scale to 0..=255 and cast)",
            image.dtype()
        )));
    };
    let color = match shape.as_slice() {
        [_, _] | [_, _, 1] => ColorType::Luma,
        [_, _, 3] => ColorType::Rgb,
        [_, _, 4] => {
            return Err(Error::invalid_argument(
                "JPEG has no alpha channel: cannot write an RGBA (H, W, 4) array. Drop the alpha \
                 channel first, e.g. `array.slice(s![.., .., ..3])` in Rust or `array[..., :3]` in numpy \
                 (or composite it onto a background)",
            ));
        }
        [_, _, c] => {
            return Err(Error::invalid_argument(format!(
                "JPEG writes gray (H, W) or RGB (H, W, 3) arrays, not {c} channels (shape {shape:?})"
            )));
        }
        _ => {
            return Err(Error::invalid_argument(format!(
                "JPEG writes one gray (H, W) or RGB (H, W, 3) image, not an array of shape {shape:?}"
            )));
        }
    };
    let (h, w) = (shape[0], shape[1]);
    if h == 0 || w == 0 || h > 65535 || w > 65535 {
        return Err(Error::invalid_argument(format!(
            "JPEG images are 1..=65535 pixels high and wide, not {h}×{w}"
        )));
    }
    let data = match a.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    };
    Ok((h as u16, w as u16, color, data))
}

/// Encodes one image into a complete JPEG file.
pub(crate) fn encode(image: &NdView<'_>, s: &Settings) -> Result<Vec<u8>> {
    let (h, w, color, data) = pixels(image)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let one =
        |rows: &[u8], rh: u16, restart: Option<u16>| encode_one(rows, rh, w, color, s, restart);
    let mut out = match strips(h, w, color, s, threads) {
        Some(plan) => encode_strips(&data, w, color, &plan, &|c, rh| one(c, rh, None))?,
        None => one(&data, h, s.restart_interval)?,
    };
    if let Some(c) = &s.comment {
        markers::insert_comment(&mut out, c)?;
    }
    Ok(out)
}

/// One complete file from one encoder: libjpeg-turbo (feature `turbo`). libjpeg-turbo writes
/// the JFIF header (with the density), the ICC profile (APP2 chunks) and the image; the EXIF
/// APP1 segment is inserted right after the JFIF header, where Pillow puts it.
#[cfg(feature = "turbo")]
fn encode_one(
    data: &[u8],
    h: u16,
    w: u16,
    color: ColorType,
    s: &Settings,
    restart: Option<u16>,
) -> Result<Vec<u8>> {
    let sampling = match (color, s.sampling) {
        (ColorType::Luma, _) => None,
        (_, SamplingFactor::R_4_4_4) => Some((1, 1)),
        (_, SamplingFactor::R_4_2_2) => Some((2, 1)),
        _ => Some((2, 2)),
    };
    let c = crate::turbo::Compress {
        quality: s.quality,
        sampling,
        progressive: s.progressive,
        optimize: s.optimize,
        restart_interval: restart,
        dpi: s.dpi,
        icc: s.icc.as_deref(),
    };
    let mut out = crate::turbo::compress(data, usize::from(w), usize::from(h), &c)?;
    if let Some(exif) = &s.exif {
        markers::insert_exif(&mut out, exif)?;
    }
    Ok(out)
}

#[cfg(not(feature = "turbo"))]
fn encoder<'w>(
    out: &'w mut Vec<u8>,
    s: &Settings,
    restart: Option<u16>,
) -> Result<Encoder<&'w mut Vec<u8>>> {
    let mut enc = Encoder::new(out, s.quality);
    enc.set_sampling_factor(s.sampling);
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    enc.set_progressive(s.progressive);
    enc.set_optimized_huffman_tables(s.optimize);
    if let Some(n) = restart {
        enc.set_restart_interval(n);
    }
    if let Some((x, y)) = s.dpi {
        enc.set_density(PixelDensity {
            density: (x, y),
            unit: PixelDensityUnit::Inches,
        });
    }
    if let Some(exif) = &s.exif {
        let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        enc.add_exif_metadata(tiff).map_err(eerr)?;
    }
    if let Some(icc) = &s.icc {
        enc.add_icc_profile(icc).map_err(eerr)?;
    }
    Ok(enc)
}

#[cfg(not(feature = "turbo"))]
fn eerr(e: jpeg_encoder::EncodingError) -> Error {
    Error::encoding(format!("JPEG: {e}"))
}

/// One complete file from one encoder: jpeg-encoder (default build).
#[cfg(not(feature = "turbo"))]
fn encode_one(
    data: &[u8],
    h: u16,
    w: u16,
    color: ColorType,
    s: &Settings,
    restart: Option<u16>,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 4 + 1024);
    let enc = encoder(&mut out, s, restart)?;
    enc.encode(data, w, h, color).map_err(eerr)?;
    Ok(out)
}

/// Encodes one strip (its pixel rows, its height) into a complete single-scan file.
type StripEncoder<'a> = dyn Fn(&[u8], u16) -> Result<Vec<u8>> + Sync + 'a;

/// Strips per encoding thread (load balancing; each costs one restart marker and at most one
/// byte of padding).
const STRIPS_PER_THREAD: usize = 4;

/// How a large baseline image is cut into horizontal strips encoded in parallel.
struct Plan {
    /// Pixel rows per strip (a whole number of MCU rows).
    rows: usize,
    /// Restart interval in MCUs (one strip).
    interval: u16,
    threads: usize,
    height: u16,
}

/// Parallel strips for large baseline images with standard Huffman tables (the tables of every
/// strip are then identical); `None` for everything else.
fn strips(h: u16, w: u16, color: ColorType, s: &Settings, threads: usize) -> Option<Plan> {
    if threads < 2 || s.progressive || s.optimize || s.restart_interval.is_some() {
        return None;
    }
    if (h as usize) * (w as usize) < (1 << 20) {
        return None;
    }
    let (mcu_w, mcu_h) = match (color, s.sampling) {
        (ColorType::Luma, _) | (_, SamplingFactor::R_4_4_4) => (8, 8),
        (_, SamplingFactor::R_4_2_2) => (16, 8),
        _ => (16, 16),
    };
    let mcus_per_row = (w as usize).div_ceil(mcu_w);
    let mcu_rows = (h as usize).div_ceil(mcu_h);
    // A few strips per thread, handed out as threads become free: halves of a photo can differ
    // in detail (sky / foliage) and so in encoding time by a factor of two.
    let per_strip = mcu_rows
        .div_ceil(threads * STRIPS_PER_THREAD)
        .min(65535 / mcus_per_row);
    if per_strip == 0 || mcu_rows < 2 {
        return None;
    }
    Some(Plan {
        rows: per_strip * mcu_h,
        interval: (per_strip * mcus_per_row) as u16,
        threads,
        height: h,
    })
}

/// Encodes strips on `plan.threads` threads and joins their entropy-coded data with restart
/// markers: the result is the file a single encoder writes with that restart interval.
fn encode_strips(
    data: &[u8],
    w: u16,
    color: ColorType,
    plan: &Plan,
    encode_one: &StripEncoder<'_>,
) -> Result<Vec<u8>> {
    let row_bytes = w as usize * if color == ColorType::Luma { 1 } else { 3 };
    let chunks: Vec<&[u8]> = data.chunks(plan.rows * row_bytes).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<Vec<u8>>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..plan.threads.min(chunks.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(c) = chunks.get(i) else { break };
                        mine.push((i, encode_one(c, (c.len() / row_bytes) as u16)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(0, Err(Error::encoding("JPEG encoder thread panicked")))]
                })
            })
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    let encoded: Vec<Result<Vec<u8>>> = done.into_iter().map(|(_, r)| r).collect();
    if encoded.len() != chunks.len() {
        return Err(Error::encoding("JPEG encoder thread panicked"));
    }
    let mut parts = Vec::with_capacity(encoded.len());
    for e in encoded {
        parts.push(e?);
    }
    let total: usize = parts.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total + 16 * parts.len());
    for (i, part) in parts.iter().enumerate() {
        let (header, scan) = split_scan(part)?;
        if i == 0 {
            let mut header = header.to_vec();
            set_height_and_dri(&mut header, plan.height, plan.interval)?;
            out.extend_from_slice(&header);
        } else {
            out.extend_from_slice(&[0xFF, 0xD0 + ((i - 1) % 8) as u8]);
        }
        out.extend_from_slice(scan);
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

/// Splits a single-scan JPEG into (everything up to and including the SOS segment, the
/// entropy-coded data without the EOI).
fn split_scan(jpeg: &[u8]) -> Result<(&[u8], &[u8])> {
    let bad = || Error::encoding("JPEG: unexpected encoder output");
    let mut pos = 2;
    while pos + 4 <= jpeg.len() {
        if jpeg[pos] != 0xFF {
            return Err(bad());
        }
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        let end = pos + 2 + len;
        if jpeg[pos + 1] == 0xDA {
            if !jpeg.ends_with(&[0xFF, 0xD9]) || end > jpeg.len() - 2 {
                return Err(bad());
            }
            return Ok((&jpeg[..end], &jpeg[end..jpeg.len() - 2]));
        }
        pos = end;
    }
    Err(bad())
}

/// Sets the SOF height and inserts a DRI segment before the SOS segment of a header.
fn set_height_and_dri(header: &mut Vec<u8>, height: u16, interval: u16) -> Result<()> {
    let mut pos = 2;
    while pos + 4 <= header.len() {
        let m = header[pos + 1];
        let len = u16::from_be_bytes([header[pos + 2], header[pos + 3]]) as usize;
        if m == 0xC0 {
            header[pos + 5..pos + 7].copy_from_slice(&height.to_be_bytes());
        } else if m == 0xDA {
            let dri = [
                0xFF,
                0xDD,
                0x00,
                0x04,
                (interval >> 8) as u8,
                interval as u8,
            ];
            header.splice(pos..pos, dri);
            return Ok(());
        }
        pos += 2 + len;
    }
    Err(Error::encoding("JPEG: unexpected encoder output (no SOS)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(h: usize, w: usize, ch: usize) -> Vec<u8> {
        (0..h * w * ch)
            .map(|i| ((i * 31 + i / (w * ch) * 17) % 251) as u8)
            .collect()
    }

    /// The parallel strips give exactly the file one encoder writes with the same restart interval.
    #[test]
    fn strips_equal_a_single_encoder_with_restart_markers() {
        for (color, ch, sampling) in [
            (ColorType::Rgb, 3, SamplingFactor::R_4_2_0),
            (ColorType::Rgb, 3, SamplingFactor::R_4_2_2),
            (ColorType::Rgb, 3, SamplingFactor::R_4_4_4),
            (ColorType::Luma, 1, SamplingFactor::R_4_2_0),
        ] {
            let (h, w) = (1100u16, 1000u16);
            let data = image(h as usize, w as usize, ch);
            let s = Settings {
                quality: 90,
                progressive: false,
                optimize: false,
                sampling,
                dpi: Some((72, 72)),
                icc: Some(vec![1, 2, 3]),
                exif: None,
                comment: None,
                restart_interval: None,
            };
            for threads in [2, 3, 7] {
                let plan =
                    strips(h, w, color, &s, threads).expect("large baseline image: parallel");
                let enc = |c: &[u8], rh: u16| encode_one(c, rh, w, color, &s, None);
                let par = encode_strips(&data, w, color, &plan, &enc).unwrap();
                let one = encode_one(&data, h, w, color, &s, Some(plan.interval)).unwrap();
                assert!(
                    par == one,
                    "{color:?} {sampling:?} {threads} threads: files differ"
                );
            }
        }
        let s = Settings::from_options(&Options::new().with("progressive", true)).unwrap();
        assert!(strips(2000, 2000, ColorType::Rgb, &s, 2).is_none());
        let s = Settings::from_options(&Options::new()).unwrap();
        assert!(strips(100, 100, ColorType::Rgb, &s, 2).is_none());
        assert!(strips(2000, 2000, ColorType::Rgb, &s, 1).is_none());
    }
}
