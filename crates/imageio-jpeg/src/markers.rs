//! A small scanner over the marker segments in front of the first scan (SOS). It gives the frame
//! header, JFIF, EXIF, ICC, Adobe and comment segments without decoding pixels, so `properties`
//! and `metadata` are cheap and cannot allocate more than the file's own size.

use imageio_core::{Error, Result};

/// One component of the frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Component {
    pub id: u8,
    pub h: u8,
    pub v: u8,
}

/// The start-of-frame segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The SOF marker's low byte (0xC0 baseline, 0xC2 progressive, …).
    pub marker: u8,
    pub precision: u8,
    pub height: u16,
    pub width: u16,
    pub components: Vec<Component>,
}

impl Frame {
    /// Progressive DCT (SOF2, SOF6, SOF10, SOF14), Pillow's `info["progressive"]`.
    pub fn progressive(&self) -> bool {
        matches!(self.marker, 0xC2 | 0xC6 | 0xCA | 0xCE)
    }

    /// Chroma subsampling as a J:a:b string (`"4:2:0"`), `None` for one-component images.
    pub fn subsampling(&self) -> Option<String> {
        if self.components.len() < 3 {
            return None;
        }
        let first = self.components[0];
        let rest_one = self.components[1..3].iter().all(|c| c.h == 1 && c.v == 1);
        if rest_one {
            let s = match (first.h, first.v) {
                (1, 1) => "4:4:4",
                (2, 1) => "4:2:2",
                (2, 2) => "4:2:0",
                (1, 2) => "4:4:0",
                (4, 1) => "4:1:1",
                (4, 2) => "4:1:0",
                _ => "",
            };
            if !s.is_empty() {
                return Some(s.to_owned());
            }
        }
        let parts: Vec<String> = self
            .components
            .iter()
            .map(|c| format!("{}x{}", c.h, c.v))
            .collect();
        Some(parts.join(","))
    }
}

/// The JFIF APP0 segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Jfif {
    pub version: u16,
    pub unit: u8,
    pub density: (u16, u16),
}

/// What the header segments say.
#[derive(Clone, Debug, Default)]
pub(crate) struct Header {
    pub frame: Option<Frame>,
    pub jfif: Option<Jfif>,
    /// The first EXIF APP1 segment, with its `Exif\0\0` prefix (Pillow's `info["exif"]`).
    pub exif: Option<Vec<u8>>,
    /// ICC chunks `(sequence number, number of chunks, data)` in file order.
    pub icc_chunks: Vec<(u8, u8, Vec<u8>)>,
    /// Adobe APP14: (version, transform).
    pub adobe: Option<(u16, Option<u8>)>,
    /// Offset in the file of that segment's transform byte, when it has one.
    pub adobe_transform_at: Option<usize>,
    /// The last COM segment (Pillow keeps the last one too).
    pub comment: Option<Vec<u8>>,
    /// XMP packet (APP1 with the Adobe XMP namespace), without the namespace prefix.
    pub xmp: Option<Vec<u8>>,
    /// Restart interval from DRI, when present.
    pub restart_interval: Option<u16>,
    /// Offset of the first byte after the first SOS segment (the entropy-coded data).
    pub scan_offset: usize,
}

impl Header {
    /// The ICC profile, reassembled from its APP2 chunks in sequence order (Pillow's
    /// `info["icc_profile"]`). `None` when there is none, and, like Pillow ("wrong number of
    /// fragments"), when the first chunk's count of chunks is not the number of chunks found.
    pub fn icc_profile(&self) -> Option<Vec<u8>> {
        let mut chunks: Vec<&(u8, u8, Vec<u8>)> = self.icc_chunks.iter().collect();
        chunks.sort_by_key(|(seq, count, _)| (*seq, *count));
        let first = chunks.first()?;
        if usize::from(first.1) != chunks.len() {
            return None;
        }
        Some(
            chunks
                .iter()
                .flat_map(|(_, _, d)| d.iter().copied())
                .collect(),
        )
    }
}

const XMP_NS: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Scans the segments up to the first SOS. Errors for data that is not a JPEG or that ends inside
/// the headers.
pub(crate) fn scan(data: &[u8]) -> Result<Header> {
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(Error::decoding("not a JPEG file (no SOI marker)"));
    }
    let mut h = Header::default();
    let mut pos = 2usize;
    loop {
        // find the next marker: 0xFF followed by a non-0xFF, non-zero byte
        while pos < data.len() && data[pos] != 0xFF {
            pos += 1; // junk before a marker (libjpeg warns and skips it too)
        }
        while pos < data.len() && data[pos] == 0xFF {
            pos += 1;
        }
        if pos >= data.len() {
            return Err(Error::decoding(
                "the file ends inside the JPEG headers (no image data)",
            ));
        }
        let m = data[pos];
        pos += 1;
        match m {
            0x00 => continue,
            0x01 | 0xD0..=0xD7 => continue, // standalone markers
            0xD8 => {
                return Err(Error::decoding(
                    "a second SOI marker inside the JPEG headers",
                ));
            }
            0xD9 => return Err(Error::decoding("EOI before any image data")),
            _ => {}
        }
        if pos + 2 > data.len() {
            return Err(Error::decoding(
                "the file ends inside a JPEG segment header",
            ));
        }
        let len = be16(data, pos) as usize;
        if len < 2 {
            return Err(Error::decoding(format!(
                "JPEG segment 0xFF{m:02X} has invalid length {len}"
            )));
        }
        let end = pos + len;
        if end > data.len() {
            return Err(Error::decoding(format!(
                "the file ends inside JPEG segment 0xFF{m:02X} ({} of {len} bytes present)",
                data.len() - pos
            )));
        }
        let s = &data[pos + 2..end];
        let s_at = pos + 2;
        pos = end;
        match m {
            0xDA => {
                if h.frame.is_none() {
                    return Err(Error::decoding(
                        "start of scan before the frame header (no SOF marker)",
                    ));
                }
                h.scan_offset = pos;
                return Ok(h);
            }
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                if h.frame.is_some() {
                    return Err(Error::decoding(
                        "more than one frame header (SOF) in the JPEG",
                    ));
                }
                if s.len() < 6 {
                    return Err(Error::decoding("JPEG frame header too short"));
                }
                let n = s[5] as usize;
                if n == 0 || s.len() < 6 + 3 * n {
                    return Err(Error::decoding(format!(
                        "JPEG frame header declares {n} components"
                    )));
                }
                let components = (0..n)
                    .map(|i| {
                        let c = &s[6 + 3 * i..9 + 3 * i];
                        Component {
                            id: c[0],
                            h: c[1] >> 4,
                            v: c[1] & 15,
                        }
                    })
                    .collect();
                h.frame = Some(Frame {
                    marker: m,
                    precision: s[0],
                    height: be16(s, 1),
                    width: be16(s, 3),
                    components,
                });
            }
            0xE0 if s.starts_with(b"JFIF\0") && h.jfif.is_none() && s.len() >= 12 => {
                h.jfif = Some(Jfif {
                    version: be16(s, 5),
                    unit: s[7],
                    density: (be16(s, 8), be16(s, 10)),
                });
            }
            0xE1 if s.starts_with(b"Exif\0\0") && h.exif.is_none() => h.exif = Some(s.to_vec()),
            0xE1 if s.starts_with(XMP_NS) && h.xmp.is_none() => {
                h.xmp = Some(s[XMP_NS.len()..].to_vec())
            }
            0xE2 if s.starts_with(b"ICC_PROFILE\0") && s.len() >= 14 => {
                h.icc_chunks.push((s[12], s[13], s[14..].to_vec()));
            }
            0xEE if s.starts_with(b"Adobe") && s.len() >= 7 => {
                h.adobe = Some((be16(s, 5), s.get(11).copied()));
                h.adobe_transform_at = (s.len() > 11).then_some(s_at + 11);
            }
            0xFE => h.comment = Some(s.to_vec()),
            0xDD if s.len() >= 2 => h.restart_interval = Some(be16(s, 0)),
            _ => {}
        }
    }
}

/// True when an EOI marker follows the first scan. Inside entropy-coded data 0xFF is always
/// followed by 0x00 or a restart marker, so a missing EOI means the file was cut short.
///
/// Searched from the end: the EOI is normally the file's last two bytes, and a forward search
/// through the whole entropy-coded data cost about 6 % of a large decode.
pub(crate) fn has_eoi(data: &[u8], header: &Header) -> bool {
    data.get(header.scan_offset..)
        .is_some_and(|d| d.windows(2).rev().any(|w| w == [0xFF, 0xD9]))
}

/// Inserts a COM segment right after the APPn segments at the start of an encoded file (where
/// libjpeg writes it).
pub(crate) fn insert_comment(jpeg: &mut Vec<u8>, comment: &[u8]) -> Result<()> {
    if comment.len() > 65533 {
        return Err(Error::invalid_argument(format!(
            "a JPEG comment holds at most 65533 bytes, this one has {}",
            comment.len()
        )));
    }
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF && (0xE0..=0xEF).contains(&jpeg[pos + 1]) {
        pos += 2 + be16(jpeg, pos + 2) as usize;
    }
    let mut seg = Vec::with_capacity(comment.len() + 4);
    seg.extend_from_slice(&[0xFF, 0xFE]);
    seg.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(comment);
    jpeg.splice(pos..pos, seg);
    Ok(())
}

/// Inserts an EXIF APP1 segment (`Exif\0\0` + TIFF data; the prefix is added when `exif` lacks
/// it) right after the JFIF APP0 segment of an encoded file (or after SOI when there is none).
#[cfg_attr(not(feature = "turbo"), allow(dead_code))]
pub(crate) fn insert_exif(jpeg: &mut Vec<u8>, exif: &[u8]) -> Result<()> {
    const PREFIX: &[u8] = b"Exif\0\0";
    let tiff = exif.strip_prefix(PREFIX).unwrap_or(exif);
    let len = PREFIX.len() + tiff.len() + 2;
    if len > 65535 {
        return Err(Error::invalid_argument(format!(
            "JPEG EXIF data holds at most 65527 bytes of TIFF data, this one has {}",
            tiff.len()
        )));
    }
    let mut pos = 2;
    if jpeg.len() >= pos + 4 && jpeg[pos] == 0xFF && jpeg[pos + 1] == 0xE0 {
        pos += 2 + be16(jpeg, pos + 2) as usize;
    }
    if pos > jpeg.len() {
        return Err(Error::encoding("JPEG: unexpected encoder output"));
    }
    let mut seg = Vec::with_capacity(len + 2);
    seg.extend_from_slice(&[0xFF, 0xE1]);
    seg.extend_from_slice(&(len as u16).to_be_bytes());
    seg.extend_from_slice(PREFIX);
    seg.extend_from_slice(tiff);
    jpeg.splice(pos..pos, seg);
    Ok(())
}
