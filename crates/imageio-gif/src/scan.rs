//! A block walker that reads every header of a GIF file without decoding image data.
//!
//! The `gif` crate's high-level decoder does not report the version, comment extensions, or a
//! frame count without walking the LZW data through its state machine, so the file is first
//! scanned here: the header, the logical screen descriptor, every extension and every image
//! descriptor are parsed, and the LZW sub-blocks are skipped by their length bytes (never
//! decompressed). The scan is what `properties()`, `metadata()` and the channel-layout decision
//! use; pixels are then decoded by the `gif` crate.

use std::io::BufRead;

use imageio_core::{Error, Result};

/// One image (frame) of the file, as its descriptor and the Graphic Control Extension before it
/// say.
#[derive(Clone, Debug, Default)]
pub(crate) struct FrameInfo {
    pub left: u16,
    pub top: u16,
    pub width: u16,
    pub height: u16,
    pub interlaced: bool,
    /// Local colour table (RGB triplets), if the frame has one.
    pub local_palette: Option<Vec<u8>>,
    /// Delay in hundredths of a second (the GIF unit).
    pub delay_cs: u16,
    /// Disposal method (0–7 as stored; 0 none, 1 keep, 2 background, 3 previous).
    pub disposal: u8,
    pub transparency: Option<u8>,
    /// Comment extensions between the previous image and this one, joined by `\n`.
    pub comment: Option<Vec<u8>>,
}

/// Everything the walker found.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scan {
    pub version: String,
    /// The screen the frames are composited on: the logical screen, grown to hold the first
    /// frame (its offset plus its size) when that frame does not fit, as browsers do.
    pub width: u16,
    pub height: u16,
    pub global_palette: Option<Vec<u8>>,
    pub background: u8,
    /// NETSCAPE2.0 / ANIMEXTS1.0 loop count (0 = forever); `None` without the extension.
    pub loop_count: Option<u16>,
    pub frames: Vec<FrameInfo>,
    /// Comments after the last image.
    pub trailing_comment: Option<Vec<u8>>,
    /// The file ended (or an unknown block started) before the trailer; frames whose image data
    /// was cut are not listed.
    pub truncated: bool,
}

impl Scan {
    /// The colour table frame `i` uses (local, else global).
    pub fn palette(&self, i: usize) -> Option<&[u8]> {
        self.frames[i]
            .local_palette
            .as_deref()
            .or(self.global_palette.as_deref())
    }
}

/// True for the two GIF signatures.
pub(crate) fn sniff(b: &[u8]) -> bool {
    b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")
}

struct Walker<R> {
    r: R,
}

/// End of data inside a block: the caller turns it into "truncated".
struct Eof;

impl<R: BufRead> Walker<R> {
    fn byte(&mut self) -> std::result::Result<u8, Eof> {
        let buf = self.r.fill_buf().map_err(|_| Eof)?;
        let b = *buf.first().ok_or(Eof)?;
        self.r.consume(1);
        Ok(b)
    }

    fn exact(&mut self, out: &mut [u8]) -> std::result::Result<(), Eof> {
        self.r.read_exact(out).map_err(|_| Eof)
    }

    fn vec(&mut self, n: usize) -> std::result::Result<Vec<u8>, Eof> {
        let mut v = vec![0; n];
        self.exact(&mut v)?;
        Ok(v)
    }

    fn skip(&mut self, mut n: usize) -> std::result::Result<(), Eof> {
        while n > 0 {
            let buf = self.r.fill_buf().map_err(|_| Eof)?;
            if buf.is_empty() {
                return Err(Eof);
            }
            let k = buf.len().min(n);
            self.r.consume(k);
            n -= k;
        }
        Ok(())
    }

    /// Skips data sub-blocks up to and including the zero-length terminator.
    fn skip_sub_blocks(&mut self) -> std::result::Result<(), Eof> {
        loop {
            let n = self.byte()?;
            if n == 0 {
                return Ok(());
            }
            self.skip(n as usize)?;
        }
    }

    /// Reads the next sub-block; `None` at the terminator.
    fn sub_block(&mut self) -> std::result::Result<Option<Vec<u8>>, Eof> {
        let n = self.byte()?;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(self.vec(n as usize)?))
    }
}

/// Walks the file. Errors only when the header itself is unusable; a file cut later is reported
/// through `truncated` with the complete frames.
pub(crate) fn scan<R: BufRead>(r: R) -> Result<Scan> {
    let mut w = Walker { r };
    let mut head = [0u8; 13];
    w.exact(&mut head)
        .map_err(|_| Error::decoding("file too short for a GIF header"))?;
    if !sniff(&head) {
        return Err(Error::unsupported("no GIF signature (GIF87a/GIF89a)"));
    }
    let mut s = Scan {
        version: String::from_utf8_lossy(&head[..6]).into_owned(),
        width: u16::from_le_bytes([head[6], head[7]]),
        height: u16::from_le_bytes([head[8], head[9]]),
        ..Scan::default()
    };
    let flags = head[10];
    if flags & 0x80 != 0 {
        s.background = head[11];
        let n = 3usize << ((flags & 7) + 1);
        s.global_palette = Some(
            w.vec(n)
                .map_err(|_| Error::decoding("file ends inside the global colour table"))?,
        );
    }
    let mut gce: Option<(u8, u16, Option<u8>)> = None;
    let mut comment: Option<Vec<u8>> = None;
    let res: std::result::Result<(), Eof> = (|| {
        loop {
            match w.byte()? {
                0x3B => return Ok(()),
                0x21 => {
                    let label = w.byte()?;
                    match label {
                        0xF9 => {
                            if let Some(b) = w.sub_block()? {
                                if b.len() >= 4 {
                                    let t = (b[0] & 1 != 0).then_some(b[3]);
                                    gce = Some((
                                        (b[0] >> 2) & 7,
                                        u16::from_le_bytes([b[1], b[2]]),
                                        t,
                                    ));
                                }
                                w.skip_sub_blocks()?;
                            }
                        }
                        0xFE => {
                            let mut text = Vec::new();
                            while let Some(b) = w.sub_block()? {
                                text.extend_from_slice(&b);
                            }
                            match &mut comment {
                                Some(c) => {
                                    c.push(b'\n');
                                    c.extend_from_slice(&text);
                                }
                                None => comment = Some(text),
                            }
                        }
                        0xFF => {
                            if let Some(id) = w.sub_block()? {
                                if id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0" {
                                    if let Some(b) = w.sub_block()? {
                                        if b.len() >= 3 && b[0] == 1 && s.loop_count.is_none() {
                                            s.loop_count = Some(u16::from_le_bytes([b[1], b[2]]));
                                        }
                                        w.skip_sub_blocks()?;
                                    }
                                } else {
                                    w.skip_sub_blocks()?;
                                }
                            }
                        }
                        _ => w.skip_sub_blocks()?,
                    }
                }
                0x2C => {
                    let mut d = [0u8; 9];
                    w.exact(&mut d)?;
                    let f = d[8];
                    let local_palette = if f & 0x80 != 0 {
                        Some(w.vec(3usize << ((f & 7) + 1))?)
                    } else {
                        None
                    };
                    let _min_code_size = w.byte()?;
                    w.skip_sub_blocks()?;
                    let (disposal, delay_cs, transparency) = gce.take().unwrap_or((0, 0, None));
                    let (left, top) = (
                        u16::from_le_bytes([d[0], d[1]]),
                        u16::from_le_bytes([d[2], d[3]]),
                    );
                    let (width, height) = (
                        u16::from_le_bytes([d[4], d[5]]),
                        u16::from_le_bytes([d[6], d[7]]),
                    );
                    if s.frames.is_empty() {
                        // Browsers grow the screen to hold the first frame (files with a 0×0 or
                        // too small logical screen are common); later frames are clipped.
                        s.width = s.width.max(left.saturating_add(width));
                        s.height = s.height.max(top.saturating_add(height));
                    }
                    s.frames.push(FrameInfo {
                        left,
                        top,
                        width,
                        height,
                        interlaced: f & 0x40 != 0,
                        local_palette,
                        delay_cs,
                        disposal,
                        transparency,
                        comment: comment.take(),
                    });
                }
                // An unknown block: its layout is unknown, so nothing after it can be trusted.
                _ => return Err(Eof),
            }
        }
    })();
    if res.is_err() {
        s.truncated = true;
    }
    s.trailing_comment = comment;
    Ok(s)
}
