//! Our own baseline (sequential, Huffman) scan encoder, used for every baseline file with the
//! standard Huffman tables. jpeg-encoder writes the headers (a tiny image encoded with the same
//! settings gives SOI … SOS with the same quantisation and Huffman tables); this module reads the
//! tables back from those headers and entropy-codes the image itself, strip by strip on several
//! threads. Its scan data is byte-for-byte libjpeg-turbo's (Pillow's) for the same quality and
//! subsampling: the same RGB → YCbCr rounding, edge replication, box-averaged chroma with
//! alternating bias, IJG "islow" forward DCT, exactly rounded quantisation and Annex K Huffman
//! coding (`tests/write.rs` compares the bytes with Pillow's). jpeg-encoder's own quantiser
//! uses a 15-bit reciprocal that rounds some coefficients differently; at quality 100, where
//! its division is exact too, our files equal jpeg-encoder's byte for byte (a unit test).
//!
//! The forward DCT is the Independent JPEG Group's accurate integer algorithm (Loeffler,
//! Ligtenberg and Moschytz; this software is based in part on the work of the Independent JPEG
//! Group).

use imageio_core::{Error, Result};

/// `NATURAL[k]` is the natural (row-major) index of the k-th coefficient in zigzag order.
const NATURAL: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// A Huffman code per symbol: `(code, length)`, length 0 when the symbol has no code.
#[derive(Clone)]
struct Huff {
    code: [u16; 256],
    len: [u8; 256],
}

impl Huff {
    /// Canonical codes from a DHT table (JPEG Annex C).
    fn from_dht(counts: &[u8], symbols: &[u8]) -> Result<Huff> {
        let mut h = Huff {
            code: [0; 256],
            len: [0; 256],
        };
        let mut code = 0u32;
        let mut k = 0;
        for (l, &n) in counts.iter().enumerate() {
            for _ in 0..n {
                let s = *symbols.get(k).ok_or_else(bad)? as usize;
                h.code[s] = code as u16;
                h.len[s] = l as u8 + 1;
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        Ok(h)
    }
}

fn bad() -> Error {
    Error::encoding("JPEG: unexpected encoder output (tables)")
}

/// One component of the frame, with its tables.
#[derive(Clone)]
struct Comp {
    h: usize,
    v: usize,
    /// Reciprocals and rounding terms of the quantisation divisors (natural order), see
    /// [`quantize`].
    recip: [u64; 64],
    half: [u32; 64],
    dc: Huff,
    ac: Huff,
}

/// What the header written by jpeg-encoder says about the scan.
#[derive(Clone)]
pub(crate) struct ScanTables {
    comps: Vec<Comp>,
    hmax: usize,
    vmax: usize,
}

impl ScanTables {
    /// Reads DQT, DHT, SOF0 and SOS from a complete header (SOI … SOS).
    pub(crate) fn parse(header: &[u8]) -> Result<ScanTables> {
        let mut quant: [Option<[u16; 64]>; 4] = [None; 4];
        let mut dc: [Option<Huff>; 4] = [None, None, None, None];
        let mut ac: [Option<Huff>; 4] = [None, None, None, None];
        let mut frame: Vec<(u8, usize, usize, usize)> = Vec::new();
        let mut pos = 2;
        while pos + 4 <= header.len() {
            if header[pos] != 0xFF {
                return Err(bad());
            }
            let m = header[pos + 1];
            let len = u16::from_be_bytes([header[pos + 2], header[pos + 3]]) as usize;
            let seg = header.get(pos + 4..pos + 2 + len).ok_or_else(bad)?;
            match m {
                0xDB => {
                    let mut s = seg;
                    while !s.is_empty() {
                        if s[0] >> 4 != 0 || s.len() < 65 {
                            return Err(bad());
                        }
                        let mut t = [0u16; 64];
                        for (k, &q) in s[1..65].iter().enumerate() {
                            t[NATURAL[k]] = q as u16;
                        }
                        quant[(s[0] & 3) as usize] = Some(t);
                        s = &s[65..];
                    }
                }
                0xC4 => {
                    let mut s = seg;
                    while s.len() >= 17 {
                        let n: usize = s[1..17].iter().map(|&c| c as usize).sum();
                        let syms = s.get(17..17 + n).ok_or_else(bad)?;
                        let h = Huff::from_dht(&s[1..17], syms)?;
                        let id = (s[0] & 3) as usize;
                        if s[0] >> 4 == 0 {
                            dc[id] = Some(h);
                        } else {
                            ac[id] = Some(h);
                        }
                        s = &s[17 + n..];
                    }
                }
                0xC0 => {
                    let n = *seg.get(5).ok_or_else(bad)? as usize;
                    for i in 0..n {
                        let c = seg.get(6 + 3 * i..9 + 3 * i).ok_or_else(bad)?;
                        frame.push((
                            c[0],
                            (c[1] >> 4) as usize,
                            (c[1] & 15) as usize,
                            c[2] as usize,
                        ));
                    }
                }
                0xDA => {
                    let n = *seg.first().ok_or_else(bad)? as usize;
                    if n != frame.len() {
                        return Err(bad());
                    }
                    let mut comps = Vec::with_capacity(n);
                    for (i, &(id, h, v, tq)) in frame.iter().enumerate() {
                        let c = seg.get(1 + 2 * i..3 + 2 * i).ok_or_else(bad)?;
                        if c[0] != id || h == 0 || v == 0 || h > 2 || v > 2 {
                            return Err(bad());
                        }
                        let q = quant.get(tq).copied().flatten().ok_or_else(bad)?;
                        let mut recip = [0u64; 64];
                        let mut half = [0u32; 64];
                        for i in 0..64 {
                            // The DCT output is scaled by 8: divide by 8 × the table entry.
                            let d = u32::from(q[i].max(1)) * 8;
                            recip[i] = reciprocal(d);
                            half[i] = d / 2;
                        }
                        comps.push(Comp {
                            h,
                            v,
                            recip,
                            half,
                            dc: dc[(c[1] >> 4) as usize & 3].clone().ok_or_else(bad)?,
                            ac: ac[(c[1] & 15) as usize & 3].clone().ok_or_else(bad)?,
                        });
                    }
                    let hmax = comps.iter().map(|c| c.h).max().ok_or_else(bad)?;
                    let vmax = comps.iter().map(|c| c.v).max().ok_or_else(bad)?;
                    if comps.iter().any(|c| hmax % c.h != 0 || vmax % c.v != 0) {
                        return Err(bad());
                    }
                    return Ok(ScanTables { comps, hmax, vmax });
                }
                _ => {}
            }
            pos += 2 + len;
        }
        Err(bad())
    }

    /// MCU width and height in pixels.
    pub(crate) fn mcu_size(&self) -> (usize, usize) {
        (8 * self.hmax, 8 * self.vmax)
    }
}

/// Reciprocal of divisor `d` for [`quantize`]: `floor(2^32 / d) + 1`.
fn reciprocal(d: u32) -> u64 {
    (1u64 << 32) / u64::from(d) + 1
}

/// libjpeg's quantisation: `|x|` divided by `d` rounding halves up, with the sign of `x`.
/// `recip` is [`reciprocal`]`(d)` and `half` is `d / 2`. The multiplication is an exact
/// division for every `|x| + d/2 < 2^16` and `d < 2^14` (the error of the reciprocal stays
/// below `2^-16`, less than the `1/d` gap to the next integer), which covers 8-bit JPEG:
/// the DCT output is below `2^14` and `d = 8 × table entry ≤ 2040`.
#[inline(always)]
fn quantize(x: i32, recip: u64, half: u32) -> i32 {
    let q = ((u64::from(x.unsigned_abs() + half) * recip) >> 32) as i32;
    let sign = x >> 31;
    (q ^ sign) - sign
}

/// Bit writer with 0xFF byte stuffing.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    #[inline(always)]
    fn put(&mut self, v: u32, len: u32) {
        self.acc = (self.acc << len) | u64::from(v);
        self.n += len;
        if self.n >= 32 {
            self.n -= 32;
            let w = ((self.acc >> self.n) as u32).to_be_bytes();
            if w.contains(&0xFF) {
                for b in w {
                    self.out.push(b);
                    if b == 0xFF {
                        self.out.push(0);
                    }
                }
            } else {
                self.out.extend_from_slice(&w);
            }
        }
    }

    /// Pads the last byte with one bits and writes every complete byte.
    fn pad(&mut self) {
        self.put(0x7F, 7);
        while self.n >= 8 {
            self.n -= 8;
            let b = (self.acc >> self.n) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
        }
        self.n = 0;
        self.acc = 0;
    }
}

/// Number of bits of `|v|` (the JPEG magnitude category).
#[inline(always)]
fn category(v: i32) -> u32 {
    32 - v.unsigned_abs().leading_zeros()
}

/// The bits appended after a category: `v` for positive values, `v - 1` (ones' complement) for
/// negative ones, in `cat` bits.
#[inline(always)]
fn extra(v: i32, cat: u32) -> u32 {
    let v = if v < 0 { v - 1 } else { v };
    (v as u32) & ((1u32 << cat) - 1)
}

/// Forward DCT (IJG islow, output scaled by 8) of a level-shifted block, in place.
#[allow(clippy::identity_op, clippy::erasing_op)]
fn fdct(d: &mut [i32; 64]) {
    const CB: i32 = 13;
    const P1: i32 = 2;
    const F0298: i32 = 2446;
    const F0390: i32 = 3196;
    const F0541: i32 = 4433;
    const F0765: i32 = 6270;
    const F0899: i32 = 7373;
    const F1175: i32 = 9633;
    const F1501: i32 = 12299;
    const F1847: i32 = 15137;
    const F1961: i32 = 16069;
    const F2053: i32 = 16819;
    const F2562: i32 = 20995;
    const F3072: i32 = 25172;
    #[inline(always)]
    fn ds(x: i32, n: i32) -> i32 {
        (x + (1 << (n - 1))) >> n
    }
    // Rows.
    for r in d.chunks_exact_mut(8) {
        let t0 = r[0] + r[7];
        let t7 = r[0] - r[7];
        let t1 = r[1] + r[6];
        let t6 = r[1] - r[6];
        let t2 = r[2] + r[5];
        let t5 = r[2] - r[5];
        let t3 = r[3] + r[4];
        let t4 = r[3] - r[4];
        let t10 = t0 + t3;
        let t13 = t0 - t3;
        let t11 = t1 + t2;
        let t12 = t1 - t2;
        r[0] = (t10 + t11) << P1;
        r[4] = (t10 - t11) << P1;
        let z1 = (t12 + t13) * F0541;
        r[2] = ds(z1 + t13 * F0765, CB - P1);
        r[6] = ds(z1 - t12 * F1847, CB - P1);
        let z1 = t4 + t7;
        let z2 = t5 + t6;
        let z3 = t4 + t6;
        let z4 = t5 + t7;
        let z5 = (z3 + z4) * F1175;
        let z3 = z5 - z3 * F1961;
        let z4 = z5 - z4 * F0390;
        let z1 = -z1 * F0899;
        let z2 = -z2 * F2562;
        r[7] = ds(t4 * F0298 + z1 + z3, CB - P1);
        r[5] = ds(t5 * F2053 + z2 + z4, CB - P1);
        r[3] = ds(t6 * F3072 + z2 + z3, CB - P1);
        r[1] = ds(t7 * F1501 + z1 + z4, CB - P1);
    }
    // Columns.
    for c in 0..8 {
        let g = |i: usize| d[c + 8 * i];
        let t0 = g(0) + g(7);
        let t7 = g(0) - g(7);
        let t1 = g(1) + g(6);
        let t6 = g(1) - g(6);
        let t2 = g(2) + g(5);
        let t5 = g(2) - g(5);
        let t3 = g(3) + g(4);
        let t4 = g(3) - g(4);
        let t10 = t0 + t3;
        let t13 = t0 - t3;
        let t11 = t1 + t2;
        let t12 = t1 - t2;
        d[c] = ds(t10 + t11, P1);
        d[c + 32] = ds(t10 - t11, P1);
        let z1 = (t12 + t13) * F0541;
        d[c + 16] = ds(z1 + t13 * F0765, CB + P1);
        d[c + 48] = ds(z1 - t12 * F1847, CB + P1);
        let z1 = t4 + t7;
        let z2 = t5 + t6;
        let z3 = t4 + t6;
        let z4 = t5 + t7;
        let z5 = (z3 + z4) * F1175;
        let z3 = z5 - z3 * F1961;
        let z4 = z5 - z4 * F0390;
        let z1 = -z1 * F0899;
        let z2 = -z2 * F2562;
        d[c + 56] = ds(t4 * F0298 + z1 + z3, CB + P1);
        d[c + 40] = ds(t5 * F2053 + z2 + z4, CB + P1);
        d[c + 24] = ds(t6 * F3072 + z2 + z3, CB + P1);
        d[c + 8] = ds(t7 * F1501 + z1 + z4, CB + P1);
    }
}

/// Quantises and Huffman-codes one DCT block (natural order). The block is quantised in one
/// branch-free pass, reordered to zigzag with a bit mask of the non-zero AC coefficients, and
/// the runs of zeros are read off the mask (libjpeg-turbo's approach).
#[inline(always)]
fn code_block(bits: &mut Bits, d: &[i32; 64], c: &Comp, prev_dc: &mut i32) {
    let mut qn = [0i32; 64];
    for (((q, &x), &r), &h) in qn.iter_mut().zip(d).zip(&c.recip).zip(&c.half) {
        *q = quantize(x, r, h);
    }
    let mut zz = [0i32; 64];
    let mut mask = 0u64;
    for (k, (z, &n)) in zz.iter_mut().zip(&NATURAL).enumerate() {
        *z = qn[n];
        mask |= u64::from(*z != 0) << k;
    }
    let dc = zz[0];
    let diff = dc - *prev_dc;
    *prev_dc = dc;
    let cat = category(diff);
    bits.put(
        (u32::from(c.dc.code[cat as usize]) << cat) | extra(diff, cat),
        u32::from(c.dc.len[cat as usize]) + cat,
    );
    mask &= !1;
    let mut last = 0u32;
    while mask != 0 {
        let k = mask.trailing_zeros();
        mask &= mask - 1;
        let mut run = k - last - 1;
        last = k;
        while run > 15 {
            bits.put(u32::from(c.ac.code[0xF0]), u32::from(c.ac.len[0xF0]));
            run -= 16;
        }
        let v = zz[k as usize];
        let cat = category(v);
        let sym = ((run << 4) | cat) as usize;
        bits.put(
            (u32::from(c.ac.code[sym]) << cat) | extra(v, cat),
            u32::from(c.ac.len[sym]) + cat,
        );
    }
    if last < 63 {
        bits.put(u32::from(c.ac.code[0]), u32::from(c.ac.len[0]));
    }
}

/// libjpeg's RGB → YCbCr (`jccolor.c`: 16-bit fixed point; Y rounds halves up, Cb and Cr add
/// `0x7FFF`). jpeg-encoder rounds Y with `+0x7FFF` too, which differs on exact halves.
#[inline(always)]
fn ycc(p: &[u8]) -> (i32, i32, i32) {
    let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
    (
        (19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16,
        (-11059 * r - 21709 * g + 32768 * b + (128 << 16) + 0x7FFF) >> 16,
        (32768 * r - 27439 * g - 5329 * b + (128 << 16) + 0x7FFF) >> 16,
    )
}

/// Entropy-codes the MCU rows of `data` (`rows × w` pixels, `channels` 1 or 3, C order; the
/// last MCU row is completed by repeating the last pixel row, like jpeg-encoder), starting
/// with DC predictions of zero, and returns the byte-stuffed, one-padded scan data. With
/// `restart = Some(n)` a restart marker (`RST0..7`, counting from 0) follows every `n` MCUs.
pub(crate) fn encode_scan(
    t: &ScanTables,
    data: &[u8],
    w: usize,
    rows: usize,
    channels: usize,
    restart: Option<usize>,
) -> Vec<u8> {
    let (mw, mh) = t.mcu_size();
    let cols = w.div_ceil(mw);
    let pw = cols * mw;
    let ncomp = t.comps.len();
    let mut bits = Bits {
        out: Vec::with_capacity(rows * w * channels / 6 + 64),
        acc: 0,
        n: 0,
    };
    // Full-resolution planes of one MCU row (level-unshifted samples).
    let mut full: Vec<Vec<u8>> = (0..ncomp).map(|_| vec![0u8; pw * mh]).collect();
    // Downsampled planes (same as `full` for components at full resolution).
    let mut sub: Vec<Vec<u8>> = t
        .comps
        .iter()
        .map(|c| vec![0u8; pw * c.h / t.hmax * mh * c.v / t.vmax])
        .collect();
    let mut prev = vec![0i32; ncomp];
    let mut mcus = 0usize;
    let restart = restart.filter(|&n| n > 0);
    let mut blk = [0i32; 64];
    // Blocks that hold image samples; the others in an MCU at the right or bottom edge are
    // libjpeg's "dummy" blocks: the previous block's DC and no AC (the cheapest to code).
    let real: Vec<(usize, usize)> = t
        .comps
        .iter()
        .map(|c| {
            (
                (w * c.h).div_ceil(t.hmax).div_ceil(8),
                (rows * c.v).div_ceil(t.vmax).div_ceil(8),
            )
        })
        .collect();
    for mr in 0..rows.div_ceil(mh) {
        // Colour conversion with edge replication.
        for yy in 0..mh {
            let y = (mr * mh + yy).min(rows - 1);
            let src = &data[y * w * channels..(y + 1) * w * channels];
            let o = yy * pw;
            if channels == 1 {
                full[0][o..o + w].copy_from_slice(src);
            } else {
                let (p0, rest) = full.split_at_mut(1);
                let (p1, p2) = rest.split_at_mut(1);
                let (py, pcb, pcr) = (
                    &mut p0[0][o..o + w],
                    &mut p1[0][o..o + w],
                    &mut p2[0][o..o + w],
                );
                for (((p, y), cb), cr) in src
                    .chunks_exact(3)
                    .zip(py.iter_mut())
                    .zip(pcb.iter_mut())
                    .zip(pcr.iter_mut())
                {
                    let (a, b, c) = ycc(p);
                    *y = a as u8;
                    *cb = b as u8;
                    *cr = c as u8;
                }
            }
            for plane in full.iter_mut() {
                let last = plane[o + w - 1];
                plane[o + w..o + pw].fill(last);
            }
        }
        // Chroma downsampling: box average with libjpeg's alternating bias.
        for (ci, c) in t.comps.iter().enumerate() {
            let (hs, vs) = (t.hmax / c.h, t.vmax / c.v);
            if hs == 1 && vs == 1 {
                continue;
            }
            let n = (hs * vs) as u32;
            let shift = n.trailing_zeros();
            let bias = [(n - 1) / 2, n / 2];
            let sw = pw / hs;
            let src = &full[ci];
            let dst = &mut sub[ci];
            for oy in 0..mh / vs {
                let r0 = &src[oy * vs * pw..(oy * vs + 1) * pw];
                let r1 = &src[(oy * vs + vs - 1) * pw..(oy * vs + vs) * pw];
                let d = &mut dst[oy * sw..(oy + 1) * sw];
                if hs == 2 && vs == 2 {
                    for (ox, (o, (a, b))) in d
                        .iter_mut()
                        .zip(r0.chunks_exact(2).zip(r1.chunks_exact(2)))
                        .enumerate()
                    {
                        let s =
                            u32::from(a[0]) + u32::from(a[1]) + u32::from(b[0]) + u32::from(b[1]);
                        *o = ((s + bias[ox & 1]) >> shift) as u8;
                    }
                } else if hs == 2 {
                    for (ox, (o, a)) in d.iter_mut().zip(r0.chunks_exact(2)).enumerate() {
                        let s = u32::from(a[0]) + u32::from(a[1]);
                        *o = ((s + bias[ox & 1]) >> shift) as u8;
                    }
                } else {
                    for (ox, (o, (&a, &b))) in d.iter_mut().zip(r0.iter().zip(r1)).enumerate() {
                        let s = u32::from(a) + u32::from(b);
                        *o = ((s + bias[ox & 1]) >> shift) as u8;
                    }
                }
            }
            // Below the image libjpeg repeats the last downsampled row (it pads the input only
            // to a whole row group of `vmax` rows).
            let real_rows = (rows * c.v).div_ceil(t.vmax);
            let first = mr * (mh / vs);
            if first + mh / vs > real_rows {
                let last = real_rows - 1 - first;
                for oy in last + 1..mh / vs {
                    dst.copy_within(last * sw..(last + 1) * sw, oy * sw);
                }
            }
        }
        // Blocks in MCU order.
        for mx in 0..cols {
            if let Some(n) = restart {
                if mcus > 0 && mcus.is_multiple_of(n) {
                    bits.pad();
                    bits.out
                        .extend_from_slice(&[0xFF, 0xD0 + ((mcus / n - 1) % 8) as u8]);
                    prev.iter_mut().for_each(|p| *p = 0);
                }
            }
            mcus += 1;
            for (ci, c) in t.comps.iter().enumerate() {
                let plane: &[u8] = if t.hmax / c.h == 1 && t.vmax / c.v == 1 {
                    &full[ci]
                } else {
                    &sub[ci]
                };
                let stride = pw * c.h / t.hmax;
                for by in 0..c.v {
                    for bx in 0..c.h {
                        if mx * c.h + bx >= real[ci].0 || mr * c.v + by >= real[ci].1 {
                            // DC difference 0, end of block.
                            bits.put(u32::from(c.dc.code[0]), u32::from(c.dc.len[0]));
                            bits.put(u32::from(c.ac.code[0]), u32::from(c.ac.len[0]));
                            continue;
                        }
                        let x0 = (mx * c.h + bx) * 8;
                        for (r, out) in blk.chunks_exact_mut(8).enumerate() {
                            let s = &plane[(by * 8 + r) * stride + x0..][..8];
                            for (o, &v) in out.iter_mut().zip(s) {
                                *o = i32::from(v) - 128;
                            }
                        }
                        fdct(&mut blk);
                        code_block(&mut bits, &blk, c, &mut prev[ci]);
                    }
                }
            }
        }
    }
    bits.pad();
    bits.out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reciprocal quantiser is exactly libjpeg's rounded division for every input an
    /// 8-bit DCT can produce and every divisor a quantisation table can hold.
    #[test]
    fn reciprocal_quantiser_is_an_exact_division() {
        for d in (8u32..=2040).step_by(8) {
            let r = reciprocal(d);
            for x in -16384i32..16384 {
                let q = ((x.unsigned_abs() + d / 2) / d) as i32;
                let want = if x < 0 { -q } else { q };
                assert_eq!(quantize(x, r, d / 2), want, "x {x} d {d}");
            }
        }
    }

    #[test]
    fn categories_and_extra_bits() {
        assert_eq!(category(0), 0);
        assert_eq!(category(1), 1);
        assert_eq!(category(-1), 1);
        assert_eq!(category(-1024), 11);
        assert_eq!(extra(-1, 1), 0);
        assert_eq!(extra(-3, 2), 0);
        assert_eq!(extra(-2, 2), 1);
        assert_eq!(extra(3, 2), 3);
    }
}
