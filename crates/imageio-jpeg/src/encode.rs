//! Encoding with jpeg-encoder.

use std::borrow::Cow;

use imageio_core::{Error, NdView, Options, Result, Value};
use jpeg_encoder::{
    ChromaSubsamplingMethod, ColorType, Encoder, PixelDensity, PixelDensityUnit, SamplingFactor,
};

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
                    let r = v.round();
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
        Ok(Settings {
            quality,
            progressive: o.get_bool("progressive").unwrap_or(false),
            optimize: o.get_bool("optimize").unwrap_or(false),
            sampling,
            dpi,
            icc: bytes("icc_profile").filter(|b| !b.is_empty()),
            exif: bytes("exif").filter(|b| !b.is_empty()),
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
    let mut out = Vec::with_capacity(data.len() / 4 + 1024);
    let mut enc = Encoder::new(&mut out, s.quality);
    enc.set_sampling_factor(s.sampling);
    enc.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    enc.set_progressive(s.progressive);
    enc.set_optimized_huffman_tables(s.optimize);
    if let Some(n) = s.restart_interval {
        enc.set_restart_interval(n);
    }
    if let Some((x, y)) = s.dpi {
        enc.set_density(PixelDensity {
            density: (x, y),
            unit: PixelDensityUnit::Inches,
        });
    }
    let eerr = |e: jpeg_encoder::EncodingError| Error::encoding(format!("JPEG: {e}"));
    if let Some(exif) = &s.exif {
        let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
        enc.add_exif_metadata(tiff).map_err(eerr)?;
    }
    if let Some(icc) = &s.icc {
        enc.add_icc_profile(icc).map_err(eerr)?;
    }
    enc.encode(&data, w, h, color).map_err(eerr)?;
    if let Some(c) = &s.comment {
        markers::insert_comment(&mut out, c)?;
    }
    Ok(out)
}
