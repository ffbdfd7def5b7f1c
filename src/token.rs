//! Access tokens: random, shown once, stored only as a hash.
//!
//! Tokens carry 256 random bits, so a single SHA-256 is a sufficient and
//! fast lookup hash (argon2 is for passwords, which people choose).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new random token: 32 bytes, hex-encoded.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares a presented token with a stored hash in constant time.
pub fn matches(token: &str, stored_hash: &str) -> bool {
    hash(token).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_long_random_and_verifiable() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(super::matches(&a, &super::hash(&a)));
        assert!(!super::matches(&b, &super::hash(&a)));
    }
}
