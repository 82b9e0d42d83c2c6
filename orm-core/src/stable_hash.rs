//! The hash of what athanor persists: suffixes of fitted constraint and
//! index names, and migration checksums. Unlike the in-memory
//! [`FastHasher`](crate::fast_hash), which may be tuned at any time, this one
//! must never change: a different hash would rename constraints and flag
//! every applied migration as edited.
//!
//! FNV-1a, 64 bits (offset basis `0xcbf29ce484222325`, prime
//! `0x100000001b3`), over bytes only, so that the result is the same on
//! every platform and every Rust version.

/// An FNV-1a 64 digest being computed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StableHash(u64);

impl StableHash {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// The digest of nothing yet.
    pub(crate) fn new() -> Self {
        StableHash(Self::OFFSET_BASIS)
    }

    /// Adds `bytes`.
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// The digest of the bytes written.
    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

/// The FNV-1a 64 digest of `bytes`.
pub(crate) fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut h = StableHash::new();
    h.write(bytes);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::fnv1a_64;

    #[test]
    fn fnv1a_64_matches_its_published_test_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
