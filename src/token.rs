//! Access tokens: random, shown once, stored only as a hash.
//!
//! Two kinds of secret come from here. Machine secrets (session keys, CSRF
//! tokens, organisers' API tokens) are 256 random bits written as 64
//! hexadecimal digits. A unit's **access code** is read off a printed letter
//! and typed on a phone, so it is written for people: 28 symbols of
//! Crockford's base32 (140 random bits) in groups of four,
//! `7K3M-Q9XD-…`. Case does not matter, dashes and spaces are ignored, and
//! the letters people confuse with digits (`I`, `L`, `O`) read as `1`, `1`,
//! `0` — the alphabet has no `I`, `L`, `O` or `U`, so no code is ambiguous.
//!
//! Every presented code is reduced to one canonical form before hashing
//! ([`canonical`]), so a lookup is still one indexed hash comparison. Codes
//! issued before the typeable ones (64 hex digits) stay valid: they are
//! recognised by their length (no new code has 64 symbols) and hashed as
//! issued, in lowercase — hex case carries no information, so accepting
//! either case takes nothing from their 256 bits.
//!
//! Random codes of ≥ 128 bits need no slow hash: a single SHA-256 is a
//! sufficient and fast lookup hash (argon2 is for passwords, which people
//! choose).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Crockford's base32: digits and capitals without I, L, O, U.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Symbols in an access code: 28 × 5 = 140 random bits.
pub const ACCESS_CODE_SYMBOLS: usize = 28;

// SPEC §4: at least 128 random bits, checked when the crate compiles.
const _: () = assert!(ACCESS_CODE_SYMBOLS * 5 >= 128);

/// Symbols per printed group.
const GROUP: usize = 4;

/// A new random machine secret: 32 bytes, hex-encoded.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// A new unit access code as it is printed: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
pub fn generate_access_code() -> String {
    let mut bytes = [0u8; ACCESS_CODE_SYMBOLS];
    rand::fill(&mut bytes);
    // 256 is a multiple of 32, so the low five bits of a random byte are
    // uniform: every symbol carries exactly 5 bits.
    let symbols: Vec<char> = bytes
        .iter()
        .map(|b| char::from(CROCKFORD[usize::from(b & 31)]))
        .collect();
    symbols
        .chunks(GROUP)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The form of a presented code that its hash is taken of: separators
/// (dashes, spaces, any whitespace) dropped; a 64-hex-digit token of the
/// old kind in lowercase; anything else in Crockford's reading (uppercase,
/// `I`/`L` → `1`, `O` → `0`).
pub fn canonical(presented: &str) -> String {
    let compact: String = presented
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if compact.len() == 64 && compact.bytes().all(|b| b.is_ascii_hexdigit()) {
        return compact.to_ascii_lowercase();
    }
    compact
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect()
}

/// SHA-256 of exactly `secret`, hex: what machine secrets are stored as.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The hash a presented access code or API token is looked up by: the hash
/// of its canonical form. For a machine secret (lowercase hex) it is the
/// same as [`hash`].
pub fn lookup_hash(presented: &str) -> String {
    hash(&canonical(presented))
}

/// Compares a presented code with a stored hash in constant time.
pub fn matches(presented: &str, stored_hash: &str) -> bool {
    lookup_hash(presented)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_secrets_are_long_random_and_verifiable() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(matches(&a, &hash(&a)));
        assert!(!matches(&b, &hash(&a)));
    }

    #[test]
    fn access_codes_are_grouped_base32_with_at_least_128_bits() {
        let code = generate_access_code();
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 7, "{code}");
        assert!(groups.iter().all(|g| g.len() == 4), "{code}");
        assert!(
            code.bytes().all(|b| b == b'-' || CROCKFORD.contains(&b)),
            "{code}"
        );
        assert_ne!(code, generate_access_code());
    }

    #[test]
    fn a_code_is_found_however_it_is_typed() {
        let code = generate_access_code();
        let stored = lookup_hash(&code);
        let lower_spaced = code.to_lowercase().replace('-', " ");
        let run_together = code.replace('-', "");
        for typed in [
            code.clone(),
            lower_spaced,
            run_together,
            format!("  {code}\n"),
        ] {
            assert!(matches(&typed, &stored), "{typed:?}");
        }
        // Letters misread for digits land on the digits.
        assert_eq!(canonical("io-l0"), "1010");
        // A different code never matches.
        assert!(!matches(&generate_access_code(), &stored));
    }

    #[test]
    fn old_hex_tokens_keep_working_in_either_case() {
        let old = generate();
        let stored = hash(&old);
        assert!(matches(&old, &stored));
        assert!(matches(&old.to_uppercase(), &stored));
        // Its base32 reading would hash differently: the length decides.
        assert_eq!(canonical(&old.to_uppercase()), old);
        let mut other = old.clone();
        other.replace_range(0..1, if old.starts_with('a') { "b" } else { "a" });
        assert!(!matches(&other, &stored));
    }
}
