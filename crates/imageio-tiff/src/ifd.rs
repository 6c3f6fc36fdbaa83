//! Low-level TIFF structure: the byte source, the header and image file directories (IFDs).

use std::collections::HashSet;
use std::fs::File;
use std::sync::Mutex;

use imageio_core::{Error, Limits, Result, Source, SourceReader};

/// Random access to the file's bytes, shareable across threads (`pread` for files).
pub(crate) struct Data<'a> {
    src: Source<'a>,
    file: Option<File>,
    stream: Option<Mutex<SourceReader<'a>>>,
    len: u64,
}

impl<'a> Data<'a> {
    pub(crate) fn new(src: &Source<'a>) -> Result<Self> {
        let src = src.clone();
        let len = src.len()?;
        let (file, stream) = if src.bytes().is_some() {
            (None, None)
        } else if let Some(p) = src.path() {
            (Some(File::open(p)?), None)
        } else {
            (None, Some(Mutex::new(src.reader()?)))
        };
        Ok(Data {
            src,
            file,
            stream,
            len,
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Reads exactly `buf.len()` bytes at `offset`; a read past the end is a decoding error.
    pub(crate) fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| {
                Error::decoding(format!(
                    "data at offset {offset} ({} bytes) lies past the end of the file ({} bytes)",
                    buf.len(),
                    self.len
                ))
            })?;
        if let Some(b) = self.src.bytes() {
            buf.copy_from_slice(&b[offset as usize..end as usize]);
            return Ok(());
        }
        if let Some(f) = &self.file {
            #[cfg(unix)]
            {
                use std::os::unix::fs::FileExt;
                f.read_exact_at(buf, offset)?;
                return Ok(());
            }
            #[cfg(not(unix))]
            {
                use std::io::{Read, Seek, SeekFrom};
                let mut f = f.try_clone()?;
                f.seek(SeekFrom::Start(offset))?;
                f.read_exact(buf)?;
                return Ok(());
            }
        }
        let stream = self
            .stream
            .as_ref()
            .ok_or_else(|| Error::decoding("no data"))?;
        let mut s = stream
            .lock()
            .map_err(|_| Error::decoding("stream poisoned"))?;
        use std::io::{Read, Seek, SeekFrom};
        s.seek(SeekFrom::Start(offset))?;
        s.read_exact(buf)?;
        Ok(())
    }

    /// Reads `n` bytes at `offset` into a new vector (bounded by the file size).
    pub(crate) fn read_vec(&self, offset: u64, n: u64) -> Result<Vec<u8>> {
        if offset.checked_add(n).is_none_or(|e| e > self.len) {
            return Err(Error::decoding(format!(
                "data at offset {offset} ({n} bytes) lies past the end of the file ({} bytes)",
                self.len
            )));
        }
        let mut v = vec![0u8; n as usize];
        self.read_at(offset, &mut v)?;
        Ok(v)
    }
}

/// Byte order and offset size of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Format {
    pub big_endian: bool,
    pub bigtiff: bool,
}

impl Format {
    pub(crate) fn u16(&self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    pub(crate) fn u32(&self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    pub(crate) fn u64(&self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        if self.big_endian {
            u64::from_be_bytes(a)
        } else {
            u64::from_le_bytes(a)
        }
    }
    fn offset(&self, b: &[u8]) -> u64 {
        if self.bigtiff {
            self.u64(b)
        } else {
            self.u32(b) as u64
        }
    }
}

/// Parses the 8- or 16-byte header; `Ok(None)` when the bytes are not TIFF at all.
pub(crate) fn parse_header(b: &[u8]) -> Option<(Format, u64)> {
    if b.len() < 8 {
        return None;
    }
    let big_endian = match &b[..2] {
        b"II" => false,
        b"MM" => true,
        _ => return None,
    };
    let f = Format {
        big_endian,
        bigtiff: false,
    };
    match f.u16(&b[2..4]) {
        42 => Some((f, f.u32(&b[4..8]) as u64)),
        43 => {
            if b.len() < 16 || f.u16(&b[4..6]) != 8 || f.u16(&b[6..8]) != 0 {
                return None;
            }
            let f = Format {
                big_endian,
                bigtiff: true,
            };
            Some((f, f.u64(&b[8..16])))
        }
        _ => None,
    }
}

/// True when the bytes start like a TIFF file (classic or BigTIFF, either byte order).
pub fn sniff(b: &[u8]) -> bool {
    b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || b.starts_with(b"II+\0")
        || b.starts_with(b"MM\0+")
}

/// A decoded tag value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TagVal {
    U(Vec<u64>),
    I(Vec<i64>),
    F(Vec<f64>),
    Rat(Vec<(u32, u32)>),
    SRat(Vec<(i32, i32)>),
    Ascii(String),
    Bytes(Vec<u8>),
}

/// One IFD entry.
#[derive(Clone, Debug)]
pub(crate) struct Tag {
    pub code: u16,
    pub dtype: u16,
    pub val: TagVal,
}

impl Tag {
    pub(crate) fn uints(&self) -> Option<Vec<u64>> {
        match &self.val {
            TagVal::U(v) => Some(v.clone()),
            TagVal::I(v) => Some(v.iter().map(|&x| x.max(0) as u64).collect()),
            TagVal::Bytes(v) => Some(v.iter().map(|&x| x as u64).collect()),
            _ => None,
        }
    }
    pub(crate) fn first_uint(&self) -> Option<u64> {
        match &self.val {
            TagVal::U(v) => v.first().copied(),
            TagVal::I(v) => v.first().map(|&x| x.max(0) as u64),
            TagVal::Bytes(v) => v.first().map(|&x| x as u64),
            _ => None,
        }
    }
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match &self.val {
            TagVal::Bytes(b) => Some(b),
            TagVal::Ascii(s) => Some(s.as_bytes()),
            _ => None,
        }
    }
    pub(crate) fn text(&self) -> Option<String> {
        match &self.val {
            TagVal::Ascii(s) => Some(s.clone()),
            TagVal::Bytes(b) => Some(decode_text(b).trim_end_matches('\0').to_owned()),
            _ => None,
        }
    }
}

/// One image file directory.
#[derive(Clone, Debug, Default)]
pub(crate) struct Ifd {
    pub offset: u64,
    pub tags: Vec<Tag>,
    pub next: u64,
}

impl Ifd {
    pub(crate) fn get(&self, code: u16) -> Option<&Tag> {
        self.tags.iter().find(|t| t.code == code)
    }
    pub(crate) fn uint(&self, code: u16) -> Option<u64> {
        self.get(code).and_then(Tag::first_uint)
    }
}

/// Text of an ASCII tag like tifffile's `bytes2str`: UTF-8 when valid, else Windows-1252 (what
/// older software writes for "Café" or "©"), else Latin-1 (tifffile gives bytes there).
pub(crate) fn decode_text(b: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(b) {
        return s.to_owned();
    }
    const CP1252: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    let cp = |c: u8| match c {
        0x80..=0x9F => {
            char::from_u32(u32::from(CP1252[usize::from(c - 0x80)])).filter(|&ch| ch != '\0')
        }
        _ => Some(char::from(c)),
    };
    match b.iter().map(|&c| cp(c)).collect::<Option<String>>() {
        Some(s) => s,
        None => b.iter().map(|&c| char::from(c)).collect(),
    }
}

fn type_size(t: u16) -> Option<u64> {
    Some(match t {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

/// Bytes the decoded value of `count` elements of `dtype` takes at most (`TagVal`: 8 per number
/// or rational, 1 per byte, 3 per ASCII byte decoded as Windows-1252).
fn decoded_size(dtype: u16, count: u64) -> u64 {
    let per = match dtype {
        1 | 7 => 1,
        2 => 3,
        _ => 8,
    };
    count.saturating_mul(per)
}

/// What the decoded tag values of one file may take in all: the read's `Limits::max_bytes`.
///
/// Each tag's value must lie inside the file, but entries may overlap: a 256 KiB file whose
/// 20 000 entries each cover the whole file as SBYTEs would decode (8 bytes per element) to
/// over 40 GiB of tag values. The budget is shared by every IFD of the file and checked before
/// each value is read.
pub(crate) struct TagBudget {
    limits: Limits,
    /// Bytes of decoded tag values so far.
    used: u64,
}

impl TagBudget {
    pub(crate) fn new(limits: &Limits) -> Self {
        TagBudget {
            limits: *limits,
            used: 0,
        }
    }

    fn take(&mut self, bytes: u64, offset: u64, code: u16) -> Result<()> {
        self.used = self.used.saturating_add(bytes);
        self.limits.check_bytes(self.used).map_err(|_| {
            Error::limits(format!(
                "the tag values of the IFDs decode to {} bytes with tag {code} of the IFD at \
                 {offset}, more than max_bytes {:?} allows",
                self.used, self.limits.max_bytes
            ))
        })
    }
}

fn decode_value(f: &Format, dtype: u16, count: usize, b: &[u8]) -> TagVal {
    match dtype {
        1 | 7 => TagVal::Bytes(b[..count].to_vec()),
        2 => {
            let s = &b[..count];
            let end = s.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
            TagVal::Ascii(decode_text(&s[..end]))
        }
        3 => TagVal::U(
            b.chunks_exact(2)
                .take(count)
                .map(|c| f.u16(c) as u64)
                .collect(),
        ),
        4 | 13 => TagVal::U(
            b.chunks_exact(4)
                .take(count)
                .map(|c| f.u32(c) as u64)
                .collect(),
        ),
        16 | 18 => TagVal::U(b.chunks_exact(8).take(count).map(|c| f.u64(c)).collect()),
        6 => TagVal::I(b[..count].iter().map(|&c| c as i8 as i64).collect()),
        8 => TagVal::I(
            b.chunks_exact(2)
                .take(count)
                .map(|c| f.u16(c) as i16 as i64)
                .collect(),
        ),
        9 => TagVal::I(
            b.chunks_exact(4)
                .take(count)
                .map(|c| f.u32(c) as i32 as i64)
                .collect(),
        ),
        17 => TagVal::I(
            b.chunks_exact(8)
                .take(count)
                .map(|c| f.u64(c) as i64)
                .collect(),
        ),
        5 => TagVal::Rat(
            b.chunks_exact(8)
                .take(count)
                .map(|c| (f.u32(c), f.u32(&c[4..])))
                .collect(),
        ),
        10 => TagVal::SRat(
            b.chunks_exact(8)
                .take(count)
                .map(|c| (f.u32(c) as i32, f.u32(&c[4..]) as i32))
                .collect(),
        ),
        11 => TagVal::F(
            b.chunks_exact(4)
                .take(count)
                .map(|c| f32::from_bits(f.u32(c)) as f64)
                .collect(),
        ),
        12 => TagVal::F(
            b.chunks_exact(8)
                .take(count)
                .map(|c| f64::from_bits(f.u64(c)))
                .collect(),
        ),
        _ => TagVal::Bytes(b.to_vec()),
    }
}

/// Reads the IFD at `offset`. Tags whose values lie outside the file are dropped (like tifffile).
/// Decoded values are taken from `budget` before they are read (a limits error).
pub(crate) fn read_ifd(
    data: &Data<'_>,
    f: &Format,
    offset: u64,
    budget: &mut TagBudget,
) -> Result<Ifd> {
    let (nsize, esize, osize) = if f.bigtiff {
        (8u64, 20u64, 8u64)
    } else {
        (2, 12, 4)
    };
    let mut nb = [0u8; 8];
    data.read_at(offset, &mut nb[..nsize as usize])
        .map_err(|_| {
            Error::decoding(format!("IFD offset {offset} lies past the end of the file"))
        })?;
    let n = if f.bigtiff {
        f.u64(&nb)
    } else {
        f.u16(&nb) as u64
    };
    let total = n
        .checked_mul(esize)
        .and_then(|x| x.checked_add(osize))
        .filter(|&x| offset + nsize + x <= data.len())
        .ok_or_else(|| {
            Error::decoding(format!(
                "IFD at {offset} declares {n} entries past the end of the file"
            ))
        })?;
    let raw = data.read_vec(offset + nsize, total)?;
    let mut tags = Vec::with_capacity(n as usize);
    let inline = if f.bigtiff { 8 } else { 4 };
    for e in raw[..(n * esize) as usize].chunks_exact(esize as usize) {
        let code = f.u16(e);
        let dtype = f.u16(&e[2..]);
        let count = if f.bigtiff {
            f.u64(&e[4..])
        } else {
            f.u32(&e[4..]) as u64
        };
        let vb = &e[(esize - osize) as usize..];
        let Some(ts) = type_size(dtype) else { continue };
        let Some(size) = count.checked_mul(ts) else {
            continue;
        };
        if size > inline
            && f.offset(vb)
                .checked_add(size)
                .is_none_or(|e| e > data.len())
        {
            continue; // value outside the file: ignore the tag
        }
        budget.take(decoded_size(dtype, count), offset, code)?;
        let val = if size <= inline {
            decode_value(f, dtype, count as usize, vb)
        } else {
            let off = f.offset(vb);
            decode_value(f, dtype, count as usize, &data.read_vec(off, size)?)
        };
        tags.push(Tag { code, dtype, val });
    }
    let next = f.offset(&raw[(n * esize) as usize..]);
    Ok(Ifd { offset, tags, next })
}

/// Reads the chain of IFDs starting at `first`. A circular reference is an error, and so are tag
/// values beyond `budget`.
pub(crate) fn read_chain(
    data: &Data<'_>,
    f: &Format,
    first: u64,
    seen: &mut HashSet<u64>,
    budget: &mut TagBudget,
) -> Result<Vec<Ifd>> {
    let mut out = Vec::new();
    let mut offset = first;
    while offset != 0 {
        if !seen.insert(offset) {
            return Err(Error::decoding(format!(
                "circular IFD reference to offset {offset}"
            )));
        }
        let ifd = match read_ifd(data, f, offset, budget) {
            Ok(ifd) => ifd,
            Err(e @ Error::Limits { .. }) => return Err(e),
            // like tifffile: a broken later IFD ends the chain, a broken first one is an error
            Err(_) if !out.is_empty() => break,
            Err(e) => return Err(e),
        };
        offset = ifd.next;
        out.push(ifd);
    }
    Ok(out)
}
