//! Large zeroed output buffers for imageio-rs.
//!
//! Decoders that read straight into their output (uncompressed TIFF pages, for example) spend
//! much of their time in page faults on the freshly allocated buffer: one fault per 4 KiB page.
//! numpy asks Linux for transparent huge pages (`madvise(MADV_HUGEPAGE)`) on every array of
//! 4 MiB or more, so the Python stack pays one fault per 2 MiB instead. [`zeroed_vec`] does the
//! same for our arrays: on this project's bench machine (THP mode `madvise`), allocating a
//! 105 MB buffer and reading a file into it on two threads took 59 ms with 4 KiB pages and 30 ms
//! with huge pages.
//!
//! This is the only crate outside the FFI backends with `unsafe` code: one `madvise` call on
//! memory the caller borrows mutably. The advice never changes the buffer's contents; where it
//! is not available (other systems, THP disabled, old kernels) nothing happens.
//!
//! ```
//! let v: Vec<u16> = imageio_alloc::zeroed_vec(3 << 20);
//! assert_eq!(v.len(), 3 << 20);
//! assert!(v.iter().all(|&x| x == 0));
//! ```

/// Buffers smaller than this are left alone (numpy's threshold for huge-page advice).
pub const HUGE_PAGE_THRESHOLD: usize = 4 << 20;

/// A vector of `n` zeros (`T::default()` must be all-zero bits, true for every integer and
/// float type), with huge pages advised for its memory when it is at least
/// [`HUGE_PAGE_THRESHOLD`] bytes. The allocation itself is the usual `vec![zero; n]`
/// (`calloc`), so pages are only touched when written.
pub fn zeroed_vec<T: Copy + Default>(n: usize) -> Vec<T> {
    let mut v = vec![T::default(); n];
    advise_huge_pages(&mut v);
    v
}

/// Advises transparent huge pages for the 2 MiB-aligned part of `buf` (advice only: contents
/// are unchanged, and nothing happens for small buffers or where the OS has no such advice).
pub fn advise_huge_pages<T>(buf: &mut [T]) {
    let bytes = std::mem::size_of_val(buf);
    if bytes < HUGE_PAGE_THRESHOLD {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let p = buf.as_mut_ptr() as usize;
        let start = p.next_multiple_of(HUGE);
        let end = (p + bytes) / HUGE * HUGE;
        if end > start {
            #[allow(unsafe_code)]
            // SAFETY: [start, end) lies inside `buf`, which we borrow mutably for the duration
            // of the call, and both ends are page-aligned as madvise requires. MADV_HUGEPAGE only
            // changes how the kernel backs that range with physical pages; it never changes the
            // memory's contents, its mapping or its protection, so every value in `buf` stays
            // as it was and no Rust invariant can be broken.
            let r = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE)
            };
            let _ = r; // EINVAL without THP support: the pages are simply 4 KiB ones
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_and_writable_at_every_size() {
        for n in [0usize, 1, 4095, (4 << 20) - 1, 4 << 20, (9 << 20) + 123] {
            let mut v: Vec<u8> = zeroed_vec(n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&b| b == 0), "n = {n}");
            for (i, b) in v.iter_mut().enumerate().step_by(4093) {
                *b = (i % 251) as u8 + 1;
            }
            for (i, b) in v.iter().enumerate() {
                let want = if i % 4093 == 0 {
                    (i % 251) as u8 + 1
                } else {
                    0
                };
                assert_eq!(*b, want);
            }
        }
    }

    #[test]
    fn advice_keeps_contents() {
        let mut v: Vec<u32> = (0..(3u32 << 20)).collect();
        advise_huge_pages(&mut v);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
        let f: Vec<f64> = zeroed_vec(1 << 20);
        assert!(f.iter().all(|&x| x == 0.0));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn large_buffers_are_marked_for_huge_pages() {
        // the kernel reports advised ranges as `hg` in VmFlags of /proc/self/smaps
        let v: Vec<u8> = zeroed_vec(16 << 20);
        let start = v.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
        let mut inside = false;
        let mut flagged = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((a, b)) = range.split_once('-') {
                    if let (Ok(a), Ok(b)) =
                        (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
                    {
                        inside = a < start + v.len() && b > start;
                        continue;
                    }
                }
            }
            if inside && line.starts_with("VmFlags:") && line.split_whitespace().any(|f| f == "hg")
            {
                flagged = true;
            }
        }
        assert!(
            flagged,
            "no mapping of the 16 MiB buffer carries the huge-page advice"
        );
        drop(v);
    }
}
